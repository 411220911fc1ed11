package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/sensor/mlxsim"
	"github.com/thermogate/thermogate/storage"
)

// scenario brings the kiosk to one screen the way a visitor or a guard
// would. The layout tests and `make screenshots` go through all of them.
type scenario struct {
	name string
	run  func(h *harness)
}

func withBooking(code string, mod func(*storage.Booking)) func(h *harness) {
	return func(h *harness) {
		b := storage.Booking{Code: code, Start: t0, Minutes: 15, Status: storage.StatusActive}
		mod(&b)
		h.store.PutBooking(b)
		h.EnterCode(code)
	}
}

// reopen starts h afresh, on the same panel, with its configuration
// changed by mod: for a scenario that needs another configuration (the
// screenshots and layout tests open every scenario the same way).
func (h *harness) reopen(mod func(*kiosk.Config)) {
	h.t.Helper()
	first := h.mod
	*h = *newHarness(h.t, h.p, func(c *kiosk.Config) {
		if first != nil {
			first(c)
		}
		mod(c)
	})
}

func toMeasure(h *harness) {
	h.EnterCode("AB12CD")
	h.AnswerSymptoms(false)
}

func toRetest(h *harness) {
	toMeasure(h)
	h.forehead(36.51) // 38.0 °C
}

func loggedIn(h *harness) {
	h.longPress(2 * time.Second)
	h.tap("Ona")
	for _, r := range "4826" {
		h.tap(string(r))
	}
	h.tap(h.ui.tg("code.ok"))
}

// denied has n visitors with bookings V1001… deny themselves (symptoms),
// a minute apart: the guard's list of the last 10 minutes.
func denied(h *harness, n int) {
	for i := range n {
		code := fmt.Sprintf("V%d", 1001+i)
		h.store.PutBooking(storage.Booking{Code: code, Start: t0, Minutes: 15, Status: storage.StatusActive})
		h.EnterCode(code)
		h.AnswerSymptoms(true)
		h.ConfirmSymptoms()
		h.clk.Advance(time.Minute)
	}
}

var scenarios = []scenario{
	{"idle", func(h *harness) {}},
	{"language", func(h *harness) {
		h.Start()
		h.tap(strings.ToUpper(string(h.flow.State().Lang)))
	}},
	{"code", func(h *harness) {
		h.Start()
		h.typeKeys("4711")
	}},
	{"code-letters", func(h *harness) {
		h.Start()
		h.typeKeys("AB12C")
	}},
	{"code-refused", func(h *harness) { h.scan("AB<12") }},
	{"symptoms", func(h *harness) { h.EnterCode("AB12CD") }},
	{"measure", toMeasure},
	{"measure-progress", func(h *harness) {
		toMeasure(h)
		// Stop half way through the window, as the screen looks then.
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		h.flow.Observe(func(st kiosk.State) {
			if st.Progress.Fraction >= 0.5 {
				cancel()
			}
		})
		h.sim.Schedule(mlxsim.Visit{Arrive: h.clk.Now().Add(500 * time.Millisecond), Object: c(35.51)})
		h.flow.Measure(ctx)
	}},
	{"measure-countdown", func(h *harness) {
		toMeasure(h)
		h.clk.Advance(4 * time.Second) // 11 s left of the attempt's 15
		h.ui.refreshTime()
	}},
	{"measure-again", func(h *harness) {
		toMeasure(h)
		h.forehead(31.01) // 32.5 °C: too cold, come closer
	}},
	{"measure-step-back", func(h *harness) {
		toMeasure(h)
		h.sim.Present(c(35.51)) // there before the measurement, perfectly still
		h.clk.Advance(time.Second)
		h.flow.Measure(context.Background())
	}},
	{"retest", toRetest},
	{"decision-admit-ok", func(h *harness) {
		toMeasure(h)
		h.forehead(35.51)
	}},
	{"decision-deny-fever", func(h *harness) {
		toRetest(h)
		h.clk.Advance(time.Minute)
		h.Tick()
		h.forehead(36.31) // 37.8 °C on the retest
	}},
	{"decision-deny-symptoms", func(h *harness) {
		h.EnterCode("AB12CD")
		h.AnswerSymptoms(true)
		h.ConfirmSymptoms()
	}},
	{"symptoms-confirm", func(h *harness) {
		h.EnterCode("AB12CD")
		h.AnswerSymptoms(true)
	}},
	{"code-not-found", func(h *harness) {
		h.Start()
		h.typeKeys("ZZ9999")
		h.tap(h.tr("code.ok"))
	}},
	{"decision-refer-unknown_code", func(h *harness) {
		for range kiosk.MaxUnknownCodes {
			h.EnterCode("ZZ9999")
		}
	}},
	// Too early: the window opens in a minute, the kiosk waits; in an hour, it tells the time.
	{"early-wait", withBooking("EARLY1", func(b *storage.Booking) { b.Start = t0.Add(16 * time.Minute) })},
	{"early-later", withBooking("EARLY2", func(b *storage.Booking) { b.Start = t0.Add(time.Hour); b.Service = "Passports" })},
	// The window opened while the visitor waited, with no symptoms question to ask: Start.
	{"early-ready", func(h *harness) {
		h.reopen(func(c *kiosk.Config) { c.Rule.Symptoms = false })
		withBooking("EARLY1", func(b *storage.Booking) { b.Start = t0.Add(16 * time.Minute) })(h)
		h.clk.Advance(time.Minute)
		h.Tick()
	}},
	{"decision-deny-too_late", withBooking("LATE01", func(b *storage.Booking) { b.Start = t0.Add(-time.Hour) })},
	{"decision-deny-not_today", withBooking("TMRW01", func(b *storage.Booking) { b.Start = t0.AddDate(0, 0, 1) })},
	{"decision-deny-already_used", withBooking("USED01", func(b *storage.Booking) { b.UsedAt = t0.Add(-time.Hour) })},
	{"decision-deny-cancelled", withBooking("CANC01", func(b *storage.Booking) { b.Status = storage.StatusCancelled })},
	{"decision-refer-no_reading", func(h *harness) {
		toMeasure(h)
		for range 3 {
			h.flow.Measure(context.Background())
		}
	}},
	{"decision-admit-guard", func(h *harness) {
		h.EnterCode("AB12CD")
		h.AnswerSymptoms(true)
		h.ConfirmSymptoms()
		loggedIn(h)
		h.tapRow("AB12CD")
		h.tap(h.ui.tg("guard.admit"))
		h.tap(h.ui.tg("override.booking_confirmed"))
		h.tap(h.ui.tg("guard.confirm"))
	}},
	{"out-of-service-sensor", func(h *harness) {
		h.sim.SetFault(mlxsim.Absent)
		h.Probe()
	}},
	// The idle probe found the data disk below store.min_free (the runner's
	// statfs; make vm-check fills a real partition and compares with this).
	{"out-of-service-disk_full", func(h *harness) {
		h.do(kiosk.Probed{Ambient: c(22), Disk: &kiosk.DiskSpace{Dir: "/var/lib/thermogate", Free: 0}})
	}},
	{"guard-names", func(h *harness) { h.longPress(2 * time.Second) }},
	{"guard-pin", func(h *harness) {
		h.longPress(2 * time.Second)
		h.tap("Ona")
		h.tap("1")
		h.tap(h.ui.tg("code.ok"))
		h.tap("4")
		h.tap("8")
	}},
	{"guard-menu", func(h *harness) {
		h.EnterCode("AB12CD")
		h.AnswerSymptoms(true)
		h.ConfirmSymptoms()
		h.clk.Advance(3 * time.Minute)
		h.EnterCode("EF34GH")
		loggedIn(h)
		h.tapRow("AB12CD")
	}},
	{"guard-menu-many", func(h *harness) {
		denied(h, 7)
		loggedIn(h)
		h.tapRow("V1007")
	}},
	{"guard-reasons", func(h *harness) {
		h.EnterCode("AB12CD")
		h.AnswerSymptoms(true)
		h.ConfirmSymptoms()
		loggedIn(h)
		h.tapRow("AB12CD")
		h.tap(h.ui.tg("guard.deny"))
	}},
	{"guard-confirm-replace", func(h *harness) {
		h.EnterCode("AB12CD")
		h.AnswerSymptoms(true)
		h.ConfirmSymptoms()
		loggedIn(h)
		h.tapRow("AB12CD")
		h.tap(h.ui.tg("guard.deny"))
		h.tap(h.ui.tg("override.no_mask"))
		h.tap(h.ui.tg("guard.confirm"))
		loggedIn(h)
		h.tapRow("AB12CD")
		h.tap(h.ui.tg("guard.admit"))
		h.tap(h.ui.tg("override.staff"))
	}},
	{"guard-clinical", func(h *harness) {
		loggedIn(h)
		h.tap(h.ui.tg("guard.clinical"))
		for _, r := range "378" {
			h.tap(string(r))
		}
	}},
}
