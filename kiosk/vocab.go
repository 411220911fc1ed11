package kiosk

import (
	"fmt"
	"slices"
	"strings"

	"github.com/thermogate/thermogate/storage"
)

// The rules' vocabulary: what a screening can decide and why, the languages
// of the screens and what a booking code looks like. storage keeps these as
// strings; their meaning is here.

// Decision is what the kiosk decides for a visitor.
type Decision string

// Decisions.
const (
	Admit Decision = "admit"
	Deny  Decision = "deny"
	Refer Decision = "refer" // see the guard
)

// Decisions lists every decision.
var Decisions = []Decision{Admit, Deny, Refer}

// Reason is why a screening decided what it did.
type Reason string

// Reasons of a decision.
const (
	ReasonOK          Reason = "ok"
	ReasonFever       Reason = "fever"
	ReasonSymptoms    Reason = "symptoms"
	ReasonUnknownCode Reason = "unknown_code"
	ReasonNotToday    Reason = "not_today"
	ReasonTooEarly    Reason = "too_early"
	ReasonTooLate     Reason = "too_late"
	ReasonUsed        Reason = "already_used"
	ReasonCancelled   Reason = "cancelled"
	ReasonNoReading   Reason = "no_reading"
	ReasonSensorFault Reason = "sensor_fault"
	ReasonStorage     Reason = "storage"
	ReasonGuard       Reason = "guard" // a guard decided; see Outcome.Override
)

// Reasons lists every reason.
var Reasons = []Reason{
	ReasonOK, ReasonFever, ReasonSymptoms, ReasonUnknownCode, ReasonNotToday,
	ReasonTooEarly, ReasonTooLate, ReasonUsed, ReasonCancelled, ReasonNoReading,
	ReasonSensorFault, ReasonStorage, ReasonGuard,
}

// Lang is a language of the screens.
type Lang string

// Languages, in the order the language chooser shows them.
const (
	LT Lang = "lt"
	PL Lang = "pl"
	RU Lang = "ru"
	EN Lang = "en"
)

// Languages lists every language of the screens, in the chooser's order.
// The touchscreen has a catalog for each; a booking may carry one.
var Languages = []Lang{LT, PL, RU, EN}

// LanguageNames are the languages' own names, as a visitor looks for them.
var LanguageNames = map[Lang]string{LT: "Lietuvių", PL: "Polski", RU: "Русский", EN: "English"}

// ParseLang returns the language named s (case-insensitive), or an error.
func ParseLang(s string) (Lang, error) {
	l := Lang(strings.ToLower(strings.TrimSpace(s)))
	if !slices.Contains(Languages, l) {
		return "", fmt.Errorf("unknown language %q: want one of %s", s, strings.Join(Strings(Languages), ", "))
	}
	return l, nil
}

// Strings converts a vocabulary list to the strings storage keeps.
func Strings[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// Vocabulary is the kiosk's words for storage: whoever opens the database
// passes it in storage.Options, so storage checks records against the
// rules' words and normalises codes the kiosk's way without knowing the
// rules itself.
func Vocabulary() storage.Vocabulary {
	return storage.Vocabulary{
		Decisions:     Strings(Decisions),
		Reasons:       Strings(Reasons),
		Langs:         Strings(Languages),
		Admit:         string(Admit),
		Deny:          string(Deny),
		Refer:         string(Refer),
		NormalizeCode: NormalizeCode,
		Calibration:   CalibrationWarning,
	}
}

// Code limits after normalising.
const (
	MinCodeLen = 4
	MaxCodeLen = 16
)

// ErrBadCode: a booking code that is not 4–16 of A–Z and 0–9 after
// normalising. It is storage's own error, so either side matches it.
var ErrBadCode = storage.ErrBadCode

// ErrBadPIN: the PIN does not match the guard's (storage's error, re-exported
// so the screens need not import storage).
var ErrBadPIN = storage.ErrBadPIN

// NormalizeCode trims s, upper-cases it and drops spaces, dashes and
// underscores (a scanner or a phone operator may add them), then checks that
// what is left is 4–16 of A–Z and 0–9. The error names what is wrong.
func NormalizeCode(s string) (string, error) {
	if len(s) > 4*MaxCodeLen {
		return "", fmt.Errorf("%w: %d characters, at most %d", ErrBadCode, len(s), MaxCodeLen)
	}
	var b strings.Builder
	for _, r := range strings.TrimSpace(s) {
		switch {
		case r == ' ' || r == '-' || r == '_' || r == '\t':
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			return "", fmt.Errorf("%w: character %q is not a letter A–Z or a digit", ErrBadCode, r)
		}
	}
	code := b.String()
	if n := len(code); n < MinCodeLen || n > MaxCodeLen {
		return "", fmt.Errorf("%w: %d characters, want %d–%d", ErrBadCode, n, MinCodeLen, MaxCodeLen)
	}
	return code, nil
}
