package metrics_test

import (
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/thermogate/thermogate/internal/metrics"
)

// The daemon makes one Metrics, hands it to the flow's publishing place and
// the nightly export, and serves it where [metrics] listen says.
func Example() {
	m := metrics.New(metrics.Options{Version: "v1.0.0", Commit: "abc1234"})
	m.RoomLimits(15, 32)

	// From the one place the flow publishes its state and effects:
	m.Service("")                                       // in service
	m.Screening("admit", "ok", 1, 900*time.Microsecond) // a stored decision
	m.Service("sensor")                                 // the sensor failed
	m.SensorError("pec")

	// What Prometheus and a probe see (the daemon serves this with
	// metrics.Listen and metrics.Serve):
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, _ := srv.Client().Get(srv.URL + "/healthz")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Print(resp.StatusCode, " ", string(body))

	// And the status screen, through the admin socket:
	var b strings.Builder
	metrics.WriteStatus(&b, m.Registry(), time.Now())
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(l, "Service:") || strings.HasPrefix(l, "Screenings:") {
			fmt.Fprintln(os.Stdout, l)
		}
	}
	// Output:
	// 503 out of service: sensor
	// Service:        OUT OF SERVICE: sensor — the sensor fails (back by itself when it answers; check its cable)
	// Screenings:     1 since start: admit 1, deny 0, refer 0
}
