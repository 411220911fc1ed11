package kiosk

import (
	"testing"

	"github.com/thermogate/thermogate/sensor"
)

// TestDiskFullHysteresisOutlivesAnotherCause: a kiosk stopped for a full
// disk comes back only a tenth above MinFree, even if in between another
// self-healing cause (a sensor hiccup, the room) took over the screen. The
// disk has not had the room back: just above MinFree it must stay out of
// service, not flap back in as if the disk had never been full.
func TestDiskFullHysteresisOutlivesAnotherCause(t *testing.T) {
	cfg := tableCfg()
	const dir = "/var/lib/thermogate"
	disk := func(free uint64) Probed {
		return Probed{Ambient: c(22), Disk: &DiskSpace{Dir: dir, Free: free}}
	}
	probe := func(x *tm, p Probed) *tm {
		x.t.Helper()
		x.do(ProbeDue{})
		need[ProbeSensor](x)
		return x.do(p)
	}
	for _, other := range []struct {
		name  string
		probe Probed
		cause string
	}{
		{"the sensor", Probed{Err: sensor.ErrFault, Disk: &DiskSpace{Dir: dir, Free: cfg.MinFree}}, OOSSensor},
		{"the room", Probed{Ambient: c(40), Disk: &DiskSpace{Dir: dir, Free: cfg.MinFree}}, OOSAmbient},
	} {
		t.Run(other.name, func(t *testing.T) {
			x := probe(newTM(t, cfg), disk(cfg.MinFree-1))
			x.screen(OutOfService)
			if x.m.view.OutOfService != OOSDiskFull {
				t.Fatalf("out of service for %q, want %q", x.m.view.OutOfService, OOSDiskFull)
			}
			probe(x, other.probe)
			if x.m.view.OutOfService != other.cause {
				t.Fatalf("out of service for %q, want %q", x.m.view.OutOfService, other.cause)
			}
			// The other cause gone; the disk just at MinFree, not a tenth above.
			probe(x, disk(cfg.MinFree)).screen(OutOfService)
			if x.m.view.OutOfService != OOSDiskFull {
				t.Fatalf("out of service for %q, want %q", x.m.view.OutOfService, OOSDiskFull)
			}
			probe(x, disk(cfg.backFree())).screen(Idle)
		})
	}
}

// TestDiskFullGuardBackInServiceJudgesAfresh: a guard who puts a kiosk
// stopped for a full disk back in service is believed as before the
// hysteresis outlived other causes: with the disk at MinFree (not a tenth
// above) the next probe keeps it in service; below MinFree it stops again.
func TestDiskFullGuardBackInServiceJudgesAfresh(t *testing.T) {
	cfg := tableCfg()
	disk := func(free uint64) Probed {
		return Probed{Ambient: c(22), Disk: &DiskSpace{Dir: "/var/lib/thermogate", Free: free}}
	}
	x := newTM(t, cfg)
	x.do(ProbeDue{})
	x.do(disk(cfg.MinFree - 1)).screen(OutOfService)
	x.m.view.Guard = "anna"
	x.m.resume = x.m.view
	x.m.view.Screen = GuardMenu
	a := need[WriteAudit](x.do(GuardBackInService{}))
	x.do(Audited{Action: a.Action, Then: a.Then}).screen(Idle)
	x.do(ProbeDue{})
	x.do(disk(cfg.MinFree)).screen(Idle)
	x.do(ProbeDue{})
	x.do(disk(cfg.MinFree - 1)).screen(OutOfService)
}
