package ui

import (
	"embed"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/thermogate/thermogate/kiosk"
)

//go:embed i18n/*.json
var catalogFiles embed.FS

// The catalog has a file for each of kiosk.Languages.

// Catalog holds every on-screen text in every language. Fyne's own lang
// package cannot switch language while running, so the kiosk keeps its own.
type Catalog struct {
	msgs map[kiosk.Lang]map[string]string // lang → key → text
}

var placeholder = regexp.MustCompile(`\{[a-z]+\}`)

// LoadCatalog reads the embedded catalogs and checks that every language has
// every key of English with the same placeholders.
func LoadCatalog() (*Catalog, error) {
	c := &Catalog{msgs: map[kiosk.Lang]map[string]string{}}
	for _, lang := range kiosk.Languages {
		b, err := catalogFiles.ReadFile("i18n/" + string(lang) + ".json")
		if err != nil {
			return nil, fmt.Errorf("catalog %s: %w", lang, err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("catalog %s: %w", lang, err)
		}
		c.msgs[lang] = m
	}
	var problems []string
	for key, en := range c.msgs["en"] {
		want := placeholders(en)
		for _, lang := range kiosk.Languages {
			text, ok := c.msgs[lang][key]
			switch {
			case !ok:
				problems = append(problems, fmt.Sprintf("%s: missing %s", lang, key))
			case strings.TrimSpace(text) == "":
				problems = append(problems, fmt.Sprintf("%s: %s is empty", lang, key))
			case !slices.Equal(placeholders(text), want):
				problems = append(problems, fmt.Sprintf("%s: %s has placeholders %v, English %v", lang, key, placeholders(text), want))
			}
		}
	}
	for _, lang := range kiosk.Languages {
		for key := range c.msgs[lang] {
			if _, ok := c.msgs["en"][key]; !ok {
				problems = append(problems, fmt.Sprintf("%s: %s is not in English", lang, key))
			}
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return nil, fmt.Errorf("catalog:\n%s", strings.Join(problems, "\n"))
	}
	return c, nil
}

func placeholders(s string) []string {
	p := placeholder.FindAllString(s, -1)
	slices.Sort(p)
	return p
}

// T returns the text of key in lang with {name} placeholders replaced from
// the name, value pairs in args. An unknown key is returned as it is, so a
// mistake shows on screen (and the tests catch it) instead of a blank.
func (c *Catalog) T(lang kiosk.Lang, key string, args ...string) string {
	m, ok := c.msgs[lang]
	if !ok {
		m = c.msgs["en"]
	}
	s, ok := m[key]
	if !ok {
		return key
	}
	for i := 0; i+1 < len(args); i += 2 {
		s = strings.ReplaceAll(s, "{"+args[i]+"}", args[i+1])
	}
	return s
}

// Has reports whether key exists.
func (c *Catalog) Has(key string) bool {
	_, ok := c.msgs["en"][key]
	return ok
}

// Keys returns every key, sorted.
func (c *Catalog) Keys() []string {
	var keys []string
	for k := range c.msgs["en"] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
