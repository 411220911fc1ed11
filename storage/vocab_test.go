package storage

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// storage knows no rule: its tests bring their own words, spelled as the
// kiosk spells them (kiosk's tests check that kiosk.Vocabulary passes them).
const (
	DecisionAdmit = "admit"
	DecisionDeny  = "deny"
	DecisionRefer = "refer"

	ReasonOK          = "ok"
	ReasonFever       = "fever"
	ReasonSymptoms    = "symptoms"
	ReasonUnknownCode = "unknown_code"
	ReasonUsed        = "already_used"
	ReasonNoReading   = "no_reading"
	ReasonStorage     = "storage"
	ReasonGuard       = "guard"
)

// testNormalizeCode is the kiosk's code rule in short: upper-case, drop
// dashes and spaces, 4–16 of A–Z and 0–9.
func testNormalizeCode(s string) (string, error) {
	if len(s) > 64 {
		return "", fmt.Errorf("%w: %d characters", ErrBadCode, len(s))
	}
	var b strings.Builder
	for _, r := range strings.ToUpper(strings.TrimSpace(s)) {
		switch {
		case r == ' ' || r == '-' || r == '_' || r == '\t':
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			return "", fmt.Errorf("%w: character %q", ErrBadCode, r)
		}
	}
	if n := b.Len(); n < 4 || n > 16 {
		return "", fmt.Errorf("%w: %d characters, want 4–16", ErrBadCode, n)
	}
	return b.String(), nil
}

var testVocab = Vocabulary{
	Decisions: []string{DecisionAdmit, DecisionDeny, DecisionRefer},
	Reasons: []string{ReasonOK, ReasonFever, ReasonSymptoms, ReasonUnknownCode, "not_today", "too_early", "too_late",
		ReasonUsed, "cancelled", ReasonNoReading, "sensor_fault", ReasonStorage, ReasonGuard},
	Langs: []string{"lt", "pl", "ru", "en"},
	Admit: DecisionAdmit, Deny: DecisionDeny, Refer: DecisionRefer,
	NormalizeCode: testNormalizeCode,
	Calibration: func(st DayStats) string {
		if st.Readings >= 20 && *st.MedianC < 35.8 {
			return fmt.Sprintf("median %.1f °C", *st.MedianC)
		}
		return ""
	},
}

// The words are the caller's: storage accepts what the vocabulary lists
// and refuses what it does not, whatever the word.
func TestVocabularyDecidesTheWords(t *testing.T) {
	ctx := context.Background()
	v := testVocab
	v.Decisions = []string{"go", "stop", "ask"}
	v.Admit, v.Deny, v.Refer = "go", "stop", "ask"
	v.Reasons = []string{"fine"}
	db, err := Open(filepath.Join(t.TempDir(), "v.db"), Options{Vocabulary: v, Location: vilnius(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := screening(mustTime(t), 36.6)
	s.Decision, s.Reason = "go", "fine"
	if _, err := db.Append(ctx, s); err != nil {
		t.Fatalf("a word of the vocabulary: %v", err)
	}
	s.Decision, s.Reason = DecisionAdmit, "fine"
	if _, err := db.Append(ctx, s); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `decision "admit"`) {
		t.Fatalf("a word not in it: %v", err)
	}
	s.Decision, s.Reason = "go", ReasonOK
	if _, err := db.Append(ctx, s); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `reason "ok"`) {
		t.Fatalf("a reason not in it: %v", err)
	}
	v.Langs = []string{"de"}
	if _, err := v.ParseBookings("b.csv", []byte("code,start,lang\nAB12CD,2026-03-16 09:00,lt\n"), "", vilnius(t)); err == nil ||
		!strings.Contains(err.Error(), `unknown language "lt"; want de (or empty)`) {
		t.Fatalf("a language not in it: %v", err)
	}
}

// Without a vocabulary, what needs the words fails with a message that
// says so; what does not (guards, the audit log, reading) works.
func TestNoVocabularyFailsClosed(t *testing.T) {
	ctx := context.Background()
	db, err := Open(filepath.Join(t.TempDir(), "v.db"), Options{Location: vilnius(t), PIN: cheapPIN})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Append(ctx, screening(mustTime(t), 36.6)); !errors.Is(err, ErrNoVocabulary) {
		t.Errorf("Append: %v", err)
	}
	if _, err := db.Booking(ctx, "AB12CD"); !errors.Is(err, ErrNoVocabulary) {
		t.Errorf("Booking: %v", err)
	}
	if _, err := db.ImportBookings(ctx, ActorAdmin, "b.csv", []byte("code,start\nAB12CD,2026-03-16 09:00\n"), "", false); !errors.Is(err, ErrNoVocabulary) {
		t.Errorf("ImportBookings: %v", err)
	}
	if _, err := db.ExportDay(ctx, ActorAdmin, DayOf(mustTime(t).AddDate(0, 0, -1), vilnius(t)), t.TempDir()); !errors.Is(err, ErrNoVocabulary) {
		t.Errorf("ExportDay: %v", err)
	}
	if _, err := db.Audit(ctx, ActorAdmin, "test", ""); err != nil {
		t.Errorf("Audit: %v", err)
	}
}

// An incomplete vocabulary is refused at Open, naming what is missing.
func TestIncompleteVocabularyRefused(t *testing.T) {
	v := testVocab
	v.NormalizeCode = nil
	v.Refer = "ask"
	_, err := Open(filepath.Join(t.TempDir(), "v.db"), Options{Vocabulary: v})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "no NormalizeCode") || !strings.Contains(err.Error(), `refer "ask" is not one of the decisions`) {
		t.Fatalf("got %v", err)
	}
}

// mustTime is the test clock's start, 2026-03-16 10:00 in Vilnius.
func mustTime(t testing.TB) time.Time { return time.Date(2026, 3, 16, 10, 0, 0, 0, vilnius(t)) }
