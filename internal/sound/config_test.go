package sound

import (
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/thermogate/thermogate/deploy"
)

// TestDefaultIsTheExample keeps Default and deploy/config.example.toml, the
// documented defaults, saying the same.
func TestDefaultIsTheExample(t *testing.T) {
	var f struct {
		Sound Config `toml:"sound"`
	}
	md, err := toml.Decode(string(deploy.ConfigExample), &f)
	if err != nil {
		t.Fatal(err)
	}
	if !md.IsDefined("sound") {
		t.Fatal("config.example.toml has no [sound] section")
	}
	for _, k := range md.Undecoded() {
		if len(k) > 0 && k[0] == "sound" {
			t.Errorf("config.example.toml has %s, which Config does not know", k)
		}
	}
	if f.Sound != Default() {
		t.Errorf("config.example.toml [sound] = %+v, Default() = %+v", f.Sound, Default())
	}
}
