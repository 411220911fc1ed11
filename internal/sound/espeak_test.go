package sound

import (
	"os/exec"
	"strings"
)

// espeakPhonemes returns espeak-ng's phoneme mnemonics for text in lang.
func espeakPhonemes(lang, text string) (string, error) {
	cmd := exec.Command("espeak-ng", "-q", "-x", "-v", voice[lang].Name, "--stdin")
	cmd.Stdin = strings.NewReader(text)
	out, err := cmd.Output()
	return string(out), err
}
