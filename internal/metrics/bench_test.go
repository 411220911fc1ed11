package metrics_test

import (
	"io"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/thermogate/thermogate/internal/metrics"
)

// BenchmarkScreening is the cost the flow pays per decision for its metrics.
func BenchmarkScreening(b *testing.B) {
	m := metrics.New(metrics.Options{})
	b.ReportAllocs()
	for b.Loop() {
		m.Screening("admit", "ok", 1, time.Millisecond)
	}
}

// BenchmarkService is the cost of publishing one state.
func BenchmarkService(b *testing.B) {
	m := metrics.New(metrics.Options{})
	b.ReportAllocs()
	for b.Loop() {
		m.Service("")
	}
}

// BenchmarkScrape is one full /metrics answer, fleet included.
func BenchmarkScrape(b *testing.B) {
	m := metrics.New(metrics.Options{DBPath: "/proc/self/exe"})
	populate(m)
	h := m.Handler()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
		n = w.Body.Len()
		io.Discard.Write(w.Body.Bytes())
	}
	b.ReportMetric(float64(n), "bytes/scrape")
}
