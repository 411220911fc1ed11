package config

import (
	"bytes"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// keyLine is `key = value` with an optional `# comment` after it.
var (
	keyLine     = regexp.MustCompile(`^([a-z_]+)( *= *)(.*?)(\s+#.*)?$`)
	sectionLine = regexp.MustCompile(`^\[([a-z_]+)\]\s*$`)
)

// Render writes the configuration c as a file laid out like layout: the
// comments, order and spacing are layout's, every value is c's. A value in
// layout that decodes to c's own is kept as written (0x5A stays 0x5A, "60s"
// stays "60s"); any other is replaced by c's, encoded as TOML. Every key of
// c must be in layout and every key of layout in c.
//
// `thermogate config default` is Render(Default(), deploy.ConfigExample):
// the defaults come from the code, the comments from the example file,
// and a test holds the file to the code byte for byte.
func Render(c Config, layout []byte) ([]byte, error) {
	encoded, err := toml.Marshal(c)
	if err != nil {
		return nil, err
	}
	var values map[string]any
	if err := toml.Unmarshal(encoded, &values); err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for k, v := range values {
		if sec, ok := v.(map[string]any); ok {
			for kk := range sec {
				want[k+"."+kk] = true
			}
		} else {
			want[k] = true
		}
	}

	var out bytes.Buffer
	var problems []string
	section := ""
	lines := strings.SplitAfter(string(layout), "\n")
	for _, raw := range lines {
		line := strings.TrimSuffix(raw, "\n")
		eol := raw[len(line):]
		if m := sectionLine.FindStringSubmatch(line); m != nil {
			section = m[1]
			out.WriteString(raw)
			continue
		}
		m := keyLine.FindStringSubmatch(line)
		if m == nil || strings.HasPrefix(line, "#") {
			out.WriteString(raw)
			continue
		}
		key, sep, literal, comment := m[1], m[2], m[3], m[4]
		full := key
		vals := values
		if section != "" {
			full = section + "." + key
			vals, _ = values[section].(map[string]any)
		}
		v, ok := vals[key]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s is not a key of the configuration", full))
			out.WriteString(raw)
			continue
		}
		delete(want, full)
		if !sameValue(c, section, key, literal) {
			enc, err := toml.Marshal(map[string]any{key: v})
			if err != nil {
				return nil, fmt.Errorf("%s: %w", full, err)
			}
			newLit := strings.TrimSpace(strings.TrimPrefix(string(enc), key+" = "))
			if comment != "" {
				// Keep the comment in its column if the new value fits.
				text := strings.TrimLeft(comment, " \t")
				col := len(key) + len(sep) + len(literal) + len(comment) - len(text)
				comment = strings.Repeat(" ", max(1, col-len(key)-len(sep)-len(newLit))) + text
			}
			literal = newLit
		}
		out.WriteString(key + sep + literal + comment + eol)
	}
	for k := range want {
		problems = append(problems, fmt.Sprintf("%s is missing from the layout", k))
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return nil, fmt.Errorf("render the configuration: %s", strings.Join(problems, "; "))
	}
	return out.Bytes(), nil
}

// sameValue reports whether `key = literal` in section decodes to c's own
// value: it is decoded over a copy of c, which must come out unchanged.
func sameValue(c Config, section, key, literal string) bool {
	doc := key + " = " + literal + "\n"
	if section != "" {
		doc = "[" + section + "]\n" + doc
	}
	cp := c
	if _, err := toml.Decode(doc, &cp); err != nil {
		return false
	}
	return reflect.DeepEqual(cp, c)
}
