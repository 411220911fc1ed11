package metrics

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
)

// DefaultPort is the port the installer's guide and the scrape example use.
const DefaultPort = 9479

// Config is the [metrics] section of the configuration file.
type Config struct {
	// Listen is the address for /metrics and /healthz, e.g.
	// "127.0.0.1:9479", or a LAN address for Prometheus to scrape; "" (the
	// default) serves nothing.
	Listen string `toml:"listen"`
}

// Default returns the defaults: no listener.
func Default() Config { return Config{} }

// Validate checks the section; errors name the key. The host must be an IP
// address (no name to resolve at boot), "localhost", or empty for every
// interface; the port a number 1–65535.
func (c Config) Validate() error {
	if c.Listen == "" {
		return nil
	}
	bad := func(why string) error {
		return fmt.Errorf("metrics.listen = %q: %s (want host:port such as \"127.0.0.1:%d\", or \"\" for none)", c.Listen, why, DefaultPort)
	}
	host, port, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return bad("not host:port")
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return bad("the port must be a number 1–65535")
	}
	if host != "" && host != "localhost" {
		if _, err := netip.ParseAddr(host); err != nil {
			return bad("the host must be an IP address, localhost, or empty for every interface")
		}
	}
	return nil
}
