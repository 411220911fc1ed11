// Package door drives the kiosk's GPIO outputs at the entrance: the door
// (or turnstile) relay, pulsed for a stored ADMIT only; the guard lamp or
// buzzer, lit on REFER until the guard comes or a timeout; and the service
// lamp, lit while the kiosk is out of service. The pins are periph.io
// gpio.PinOut, so tests drive gpiotest pins and the kiosk the real header.
//
// # The door
//
// Door.Pulse energises the relay for the configured pulse and returns at
// once; a background goroutine releases it. A second Pulse during a pulse
// restarts the pulse from that moment without releasing in between: the
// second visitor gets the whole opening time and the relay does not chatter.
// The relay is released early, and never energised, on every other path:
// Halt, Close, the Pulse's ctx ending, the kiosk going out of service. It is
// driven off when the Door is made, so a restart after a crash releases it.
//
// Out of service a Door refuses to pulse (ErrOutOfService): the kiosk
// cannot open the door while it does not screen.
package door
