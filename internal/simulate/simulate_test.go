package simulate

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/thermogate/thermogate/internal/clock"
	"github.com/thermogate/thermogate/kiosk"
	"github.com/thermogate/thermogate/sensor"
	"github.com/thermogate/thermogate/sensor/mlx90614"
	"github.com/thermogate/thermogate/sensor/mlxsim"
	"github.com/thermogate/thermogate/storage"
)

var vilnius, _ = time.LoadLocation("Europe/Vilnius")

// newRig is a flow with the default rule on the real store, the real driver
// and the simulator, on a virtual clock.
func newRig(t testing.TB, bookings string) (Rig, *storage.DB) {
	t.Helper()
	db, err := storage.Open(filepath.Join(t.TempDir(), "sim.db"), storage.Options{Vocabulary: kiosk.Vocabulary(), Location: vilnius})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.ImportBookings(context.Background(), storage.ActorAdmin, "b.csv", []byte(bookings), "csv", false); err != nil {
		t.Fatal(err)
	}
	clk := clock.NewVirtual(time.Date(2026, 11, 24, 7, 0, 0, 0, vilnius))
	sim := mlxsim.New(&mlxsim.Opts{Clock: clk})
	dev, _ := mlx90614.New(sim, nil)
	sampler, err := sensor.NewSampler(dev, nil, clk, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := kiosk.DefaultConfig()
	cfg.Location = vilnius
	flow, err := kiosk.New(cfg, db, sampler, clk, nil)
	if err != nil {
		t.Fatal(err)
	}
	return Rig{Flow: flow, Sim: sim, Clock: clk}, db
}

const bookings = `code,start
ADMIT1,2026-11-24 09:00
FEVER1,2026-11-24 09:00
CLEAR1,2026-11-24 09:00
EDGE01,2026-11-24 09:00
EDGE02,2026-11-24 09:00
SYMPT1,2026-11-24 09:00
TMRW01,2026-11-25 09:00
EARLY1,2026-11-24 11:00
LATE01,2026-11-24 08:00
USED01,2026-11-24 09:00
CANC01,2026-11-24 09:00
NOFH01,2026-11-24 09:00
NACK01,2026-11-24 09:00
AFTER1,2026-11-24 09:00
PEC001,2026-11-24 09:15
FLAG01,2026-11-24 09:15
ABSNT1,2026-11-24 09:15
`

// The default model adds 1.5 °C to the forehead's object temperature.
const visitors = `at,code,symptoms,forehead,retest,fault
2026-11-24 09:00,admit1,no,35.3,,
2026-11-24 09:01,FEVER1,no,36.5,36.4,
2026-11-24 09:02,CLEAR1,,36.5,35.5,
2026-11-24 09:03,EDGE01,,35.8,,
2026-11-24 09:04,EDGE02,,35.9,35.9,
2026-11-24 09:05,SYMPT1,yes,35.3,,
2026-11-24 09:06,ZZ9999,no,35.3,,
2026-11-24 09:06,#!<>,no,35.3,,
2026-11-24 09:06,,no,35.3,,
2026-11-24 09:07,TMRW01,no,35.3,,
2026-11-24 09:08,EARLY1,no,35.3,,
2026-11-24 09:09,LATE01,no,35.3,,
2026-11-24 09:10,USED01,no,35.3,,
2026-11-24 09:11,USED01,no,35.3,,
2026-11-24 09:12,CANC01,no,35.3,,
2026-11-24 09:13,NOFH01,no,,,
2026-11-24 09:14,NACK01,no,35.3,,nack
2026-11-24 09:15,AFTER1,no,35.3,,
2026-11-24 09:16,PEC001,no,35.3,,pec
2026-11-24 09:17,FLAG01,no,35.3,,flag
2026-11-24 09:18,ABSNT1,no,35.3,,absent
`

var want = []string{
	`{"at":"2026-11-24 09:00:00","code":"admit1","decision":"admit","reason":"ok","shown_c":36.8,"door":true}`,
	`{"at":"2026-11-24 09:01:00","code":"FEVER1","decision":"deny","reason":"fever","shown_c":37.9}`,
	`{"at":"2026-11-24 09:02:00","code":"CLEAR1","decision":"admit","reason":"ok","shown_c":37,"door":true}`,
	`{"at":"2026-11-24 09:03:00","code":"EDGE01","decision":"admit","reason":"ok","shown_c":37.3,"door":true}`,
	`{"at":"2026-11-24 09:04:00","code":"EDGE02","decision":"deny","reason":"fever","shown_c":37.4}`,
	`{"at":"2026-11-24 09:05:00","code":"SYMPT1","decision":"deny","reason":"symptoms","shown_c":null}`,
	`{"at":"2026-11-24 09:06:00","code":"ZZ9999","decision":"deny","reason":"unknown_code","shown_c":null}`,
	`{"at":"2026-11-24 09:06:00","code":"#!<>","decision":"deny","reason":"unknown_code","shown_c":null}`,
	`{"at":"2026-11-24 09:06:00","code":"","decision":"deny","reason":"unknown_code","shown_c":null}`,
	`{"at":"2026-11-24 09:07:00","code":"TMRW01","decision":"deny","reason":"not_today","shown_c":null}`,
	`{"at":"2026-11-24 09:08:00","code":"EARLY1","decision":"deny","reason":"too_early","shown_c":null}`,
	`{"at":"2026-11-24 09:09:00","code":"LATE01","decision":"deny","reason":"too_late","shown_c":null}`,
	`{"at":"2026-11-24 09:10:00","code":"USED01","decision":"admit","reason":"ok","shown_c":36.8,"door":true}`,
	`{"at":"2026-11-24 09:11:00","code":"USED01","decision":"deny","reason":"already_used","shown_c":null}`,
	`{"at":"2026-11-24 09:12:00","code":"CANC01","decision":"deny","reason":"cancelled","shown_c":null}`,
	`{"at":"2026-11-24 09:13:00","code":"NOFH01","decision":"refer","reason":"no_reading","shown_c":null}`,
	`{"at":"2026-11-24 09:14:00","code":"NACK01","decision":"refer","reason":"sensor_fault","shown_c":null}`,
	`{"at":"2026-11-24 09:15:00","code":"AFTER1","decision":"admit","reason":"ok","shown_c":36.8,"door":true}`,
	`{"at":"2026-11-24 09:16:00","code":"PEC001","decision":"refer","reason":"sensor_fault","shown_c":null}`,
	`{"at":"2026-11-24 09:17:00","code":"FLAG01","decision":"refer","reason":"sensor_fault","shown_c":null}`,
	`{"at":"2026-11-24 09:18:00","code":"ABSNT1","decision":"refer","reason":"sensor_fault","shown_c":null}`,
}

func TestEveryDecisionAndReason(t *testing.T) {
	r, db := newRig(t, bookings)
	if _, err := db.CancelBooking(context.Background(), storage.ActorAdmin, "CANC01"); err != nil {
		t.Fatal(err)
	}
	vs, err := ParseVisitors(strings.NewReader(visitors), vilnius)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	var results []Result
	err = Run(context.Background(), r, vs, func(res Result) error {
		var b strings.Builder
		Encode(&b, res)
		got = append(got, strings.TrimSuffix(b.String(), "\n"))
		results = append(results, res)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range max(len(got), len(want)) {
		if i >= len(got) || i >= len(want) || got[i] != want[i] {
			t.Errorf("visitor %d:\n got %s\nwant %s", i+1, at(got, i), at(want, i))
		}
	}
	// Every screening is stored as the kiosk would, with the retest flag;
	// the two codes refused on the spot, the unknown one (a typo to
	// correct until the third in a row) and the early one (told when to
	// come back) store nothing.
	var stored []storage.Screening
	db.Screenings(context.Background(), storage.NewDay(2026, 11, 24), func(s storage.Screening) error {
		stored = append(stored, s)
		return nil
	})
	if len(stored) != len(want)-4 {
		t.Fatalf("%d screenings stored, want %d", len(stored), len(want)-4)
	}
	if !stored[1].Retest || stored[1].ObjectC == nil || *stored[1].ObjectC != 36.41 {
		t.Fatalf("the fever retest stored as %+v", stored[1])
	}
	if s := Summary(results); !strings.Contains(s, "admit/ok 5") || !strings.Contains(s, "refer/sensor_fault 4") {
		t.Fatalf("summary %q", s)
	}
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "(none)"
}

func TestMalformedVisitorsNameTheLine(t *testing.T) {
	tests := []struct{ csv, want string }{
		{"", "empty"},
		{"at,code\n", "no visitors"},
		{"code,forehead\nAB12CD,35\n", `no "at" column`},
		{"at,code,temp\n", `unknown column "temp"`},
		{"at,code\n2026-11-24 9am,AB12CD\n", "line 2: at \"2026-11-24 9am\""},
		{"at,code\n2026-11-24 09:00,A\n2026-11-24 08:59,B\n", "line 3: at 2026-11-24 08:59 is before"},
		{"at,code,symptoms\n2026-11-24 09:00,A,maybe\n", "line 2: symptoms \"maybe\""},
		{"at,code,forehead\n2026-11-24 09:00,A,hot\n", "line 2: forehead"},
		{"at,code,forehead\n2026-11-24 09:00,A,350\n", "line 2: forehead"},
		{"at,code,fault\n2026-11-24 09:00,A,smoke\n", "line 2: unknown sensor fault \"smoke\""},
		{"at,code\n2026-11-24 09:00,\"A\n", "line 2: a quoted field is not closed"},
	}
	for _, tt := range tests {
		_, err := ParseVisitors(strings.NewReader(tt.csv), vilnius)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v, want an error with %q", tt.csv, err, tt.want)
		}
	}
	vs, err := ParseVisitors(strings.NewReader("\ufeffcode,at\nab12cd,2026-11-24 09:00:30\n"), vilnius)
	if err != nil || vs[0].Code != "ab12cd" || vs[0].At.Second() != 30 || vs[0].Forehead != nil {
		t.Fatalf("columns in any order, a BOM, seconds: %+v %v", vs, err)
	}
}

// BenchmarkThousandVisitors is `simulate` on a day of door traffic: half
// admitted, some fevers with retests, symptoms and unknown codes, every
// screening fsynced to the store.
func BenchmarkThousandVisitors(b *testing.B) {
	var bk, vs strings.Builder
	bk.WriteString("code,start\n")
	vs.WriteString("at,code,symptoms,forehead,retest\n")
	start := time.Date(2026, 11, 24, 8, 0, 0, 0, vilnius)
	for i := range 1000 {
		at := start.Add(time.Duration(i) * 30 * time.Second)
		code := fmt.Sprintf("V%05d", i)
		fmt.Fprintf(&bk, "%s,%s\n", code, at.Format("2006-01-02 15:04"))
		forehead, symptoms := "35.2", "no"
		switch i % 10 {
		case 3:
			forehead = "36.5"
		case 7:
			symptoms = "yes"
		case 9:
			code = "NOPE" + code
		}
		fmt.Fprintf(&vs, "%s,%s,%s,%s,\n", at.Format("2006-01-02 15:04:05"), code, symptoms, forehead)
	}
	visitors, err := ParseVisitors(strings.NewReader(vs.String()), vilnius)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		b.StopTimer()
		r, _ := newRig(b, bk.String())
		b.StartTimer()
		n := 0
		if err := Run(context.Background(), r, visitors, func(Result) error { n++; return nil }); err != nil || n != 1000 {
			b.Fatal(n, err)
		}
	}
}
