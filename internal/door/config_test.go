package door

import (
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/thermogate/thermogate/deploy"
)

// TestDefaultIsTheExample keeps Default and deploy/config.example.toml, the
// documented defaults, saying the same.
func TestDefaultIsTheExample(t *testing.T) {
	var f struct {
		GPIO Config `toml:"gpio"`
	}
	md, err := toml.Decode(string(deploy.ConfigExample), &f)
	if err != nil {
		t.Fatal(err)
	}
	if !md.IsDefined("gpio") {
		t.Fatal("config.example.toml has no [gpio] section")
	}
	for _, k := range md.Undecoded() {
		if len(k) > 0 && k[0] == "gpio" {
			t.Errorf("config.example.toml has %s, which Config does not know", k)
		}
	}
	if f.GPIO != Default() {
		t.Errorf("config.example.toml [gpio] = %+v, Default() = %+v", f.GPIO, Default())
	}
}
