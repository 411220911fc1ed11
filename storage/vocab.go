package storage

import (
	"errors"
	"fmt"
	"slices"
)

// Vocabulary is what the rules tell storage: the words a record may carry,
// how a booking code is normalised and how a day's figures are judged.
// storage keeps the words as strings and checks records against them; it
// gives them no meaning. The kiosk defines them (kiosk.Vocabulary) and
// whoever opens the database passes them in Options: storage imports no
// rule.
type Vocabulary struct {
	// Decisions a screening may carry, Reasons why, and the Langs a
	// booking may carry (besides none).
	Decisions, Reasons, Langs []string
	// Admit, Deny and Refer are the Decisions the day's figures count as
	// admitted, denied and referred (the manifest's stats).
	Admit, Deny, Refer string
	// NormalizeCode turns a booking code as typed, scanned or imported into
	// the stored key, or refuses it with an error that names the problem.
	NormalizeCode func(string) (string, error)
	// Calibration judges a day's figures: a warning for the manifest, or ""
	// when they look right. Nil judges nothing.
	Calibration func(DayStats) string
}

// ErrNoVocabulary: the database was opened without a Vocabulary, so it
// cannot check or look up what the rules name (screenings, booking codes).
var ErrNoVocabulary = errors.New("no vocabulary: the database was opened without the kiosk's words (storage.Options.Vocabulary)")

// check says whether v is complete and consistent.
func (v Vocabulary) check() error {
	var problems []string
	if len(v.Decisions) == 0 {
		problems = append(problems, "no decisions")
	}
	if len(v.Reasons) == 0 {
		problems = append(problems, "no reasons")
	}
	if len(v.Langs) == 0 {
		problems = append(problems, "no languages")
	}
	if v.NormalizeCode == nil {
		problems = append(problems, "no NormalizeCode")
	}
	for name, d := range map[string]string{"admit": v.Admit, "deny": v.Deny, "refer": v.Refer} {
		if !slices.Contains(v.Decisions, d) {
			problems = append(problems, fmt.Sprintf("%s %q is not one of the decisions", name, d))
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return fmt.Errorf("%w: vocabulary: %v", ErrInvalid, problems)
	}
	return nil
}

// isZero says whether no vocabulary was given.
func (v Vocabulary) isZero() bool {
	return v.Decisions == nil && v.Reasons == nil && v.Langs == nil && v.NormalizeCode == nil &&
		v.Admit == "" && v.Deny == "" && v.Refer == "" && v.Calibration == nil
}

// normalizeCode normalises a booking code with the vocabulary's function.
// A refusal matches ErrBadCode.
func (db *DB) normalizeCode(code string) (string, error) {
	if e := db.broken.Load(); e != nil {
		return "", *e // a damaged file's error comes first, as everywhere
	}
	if db.vocab.NormalizeCode == nil {
		return "", ErrNoVocabulary
	}
	c, err := db.vocab.NormalizeCode(code)
	if err != nil && !errors.Is(err, ErrBadCode) {
		err = fmt.Errorf("%w: %v", ErrBadCode, err)
	}
	return c, err
}
