package mlx90614_test

import (
	"fmt"
	"log"

	"periph.io/x/conn/v3/i2c/i2creg"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/host/v3"

	"github.com/thermogate/thermogate/sensor/mlx90614"
	"github.com/thermogate/thermogate/sensor/mlxsim"
)

func Example() {
	if _, err := host.Init(); err != nil {
		log.Fatal(err)
	}
	bus, err := i2creg.Open("") // the first I²C bus
	if err != nil {
		log.Fatalf("failed to open I²C: %v", err)
	}
	defer bus.Close()

	dev, err := mlx90614.New(bus, &mlx90614.DefaultOpts)
	if err != nil {
		log.Fatal(err)
	}
	obj, err := dev.Object()
	if err != nil {
		log.Fatal(err)
	}
	amb, err := dev.Ambient()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("object %s, ambient %s\n", obj, amb)
}

// The driver on the simulated chip: the same bytes cross the bus as on a Pi.
func Example_simulator() {
	sim := mlxsim.New(&mlxsim.Opts{Ambient: physic.ZeroCelsius + 22*physic.Celsius})
	dev, err := mlx90614.New(sim, nil)
	if err != nil {
		log.Fatal(err)
	}
	amb, err := dev.Ambient()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("ambient", amb) // 22 °C is not a multiple of 0.02 K from absolute zero
	if err := dev.SetEmissivity(0.98); err != nil {
		log.Fatal(err)
	}
	e, _ := dev.Emissivity()
	fmt.Printf("emissivity %.3f\n", e)
	// Output:
	// ambient 22.010°C
	// emissivity 0.980
}
