// Package sound makes the kiosk heard: short tones and spoken prompts in the
// visitor's language, played through ALSA without ever holding up the caller.
//
// # Keys
//
// Every sound has a Key. Tones (ToneCode, ToneReading, ToneAdmit, ToneDeny)
// are generated here as PCM and are the same in every language. Prompts
// (KeyStart, KeyForehead, KeyHoldStill, KeyMeasureAgain and one per decision
// and reason, see ForDecision) are sentences in lt, pl, ru and en, worded with
// the touchscreen's own terms so speech and screen agree.
//
// # Voices
//
// A prompt is spoken by espeak-ng, rendered to WAV once and kept in a cache
// directory whose file names carry a hash of the text and the voice, so a
// changed threshold or a new wording renders again by itself. Rendering
// happens on the kiosk at first start (Library.Prepare, in the background),
// not at package build: the threshold in a sentence comes from the
// configuration, and espeak-ng is a runtime dependency anyway. A recording
// at <recordings>/<lang>/<key>.wav (default /etc/thermogate/sounds) replaces
// the synthetic prompt when it is a valid WAV (see ValidateWAV); a bad file
// is logged once and the synthetic prompt used.
//
// # Playback
//
// Player queues one request at a time and plays it through a Sink; the
// ALSA sink runs alsa-utils' aplay per sound. Play never blocks. The newest
// request wins: it cuts off a prompt that is still speaking (it is stale),
// while a playing tone (at most 0.4 s) finishes first unless the new request
// is a decision, which cuts anything. A missing or failing device is logged
// once, reported by Health, and changes nothing else.
package sound
