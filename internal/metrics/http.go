package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Handler serves /metrics (the registry, in Prometheus's text or
// OpenMetrics format) and /healthz: 200 "in service", or 503 with the
// out-of-service cause (or "starting") as text, so a load balancer, a
// blackbox probe or curl can tell a screening kiosk from one that is not.
func (m *Metrics) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:            slog.NewLogLogger(m.log.Handler(), slog.LevelWarn),
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 4,
		Timeout:             10 * time.Second,
		EnableOpenMetrics:   true,
	}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		cause := m.Health()
		if cause == "" {
			fmt.Fprintln(w, "in service")
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		if cause == Starting {
			fmt.Fprintln(w, "starting")
			return
		}
		fmt.Fprintf(w, "out of service: %s\n", cause)
	})
	return mux
}

// Listen opens the configured address; nil with no error when the
// configuration asks for no listener.
func Listen(c Config) (net.Listener, error) {
	if c.Listen == "" {
		return nil, nil
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return nil, fmt.Errorf("metrics.listen: %w", err)
	}
	return ln, nil
}

// Serve answers h on ln until ctx ends, then closes it, giving requests in
// flight a second to finish. The timeouts keep a slow or stuck client from
// holding connections on a small machine.
func Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		select {
		case <-ctx.Done():
		case <-stop: // Serve failed by itself
			return
		}
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if srv.Shutdown(sctx) != nil {
			srv.Close()
		}
	}()
	err := srv.Serve(ln)
	close(stop)
	<-done
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
