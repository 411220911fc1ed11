package sound

import (
	"context"
	"errors"
	"log/slog"
	"sync"
)

// Sink plays PCM on a device.
type Sink interface {
	// Play plays p and returns when it has been played, or at once with
	// ctx.Err() when ctx is done (the sound is cut off).
	Play(ctx context.Context, p PCM) error
}

// Player plays sounds one request at a time on a goroutine of its own.
type Player struct {
	cfg  Config
	lib  *Library
	sink Sink
	log  *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	wake   chan struct{}

	mu      sync.Mutex
	pending *request
	playing Key                // "" when nothing plays
	cut     context.CancelFunc // cuts off what plays
	health  error              // the device's last failure
	voices  error              // the last prompt that could not be loaded (espeak-ng missing, ...)
	warned  map[string]bool
}

type request struct {
	lang string
	keys []Key
}

// NewPlayer starts a player. lib finds the sounds, sink plays them; log
// (nil for none) gets a device failure once, and its recovery.
func NewPlayer(cfg Config, lib *Library, sink Sink, log *slog.Logger) *Player {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Player{cfg: cfg, lib: lib, sink: sink, log: log, ctx: ctx, cancel: cancel,
		done: make(chan struct{}), wake: make(chan struct{}, 1)}
	go p.loop()
	return p
}

// Play asks for keys to be played in order, in lang, and returns at once.
// It replaces a request still waiting, cuts off a prompt that is speaking,
// and lets a playing tone finish, unless keys starts with a decision, which
// cuts off anything. Keys the configuration turns off (every prompt when
// voice is false, the start prompt unless start_prompt) are left out.
func (p *Player) Play(lang string, keys ...Key) {
	if !p.cfg.Enabled || p.cfg.Volume == 0 {
		return
	}
	var kept []Key
	for _, k := range keys {
		switch {
		case !k.IsTone() && !p.cfg.Voice:
		case k == KeyStart && !p.cfg.StartPrompt:
		default:
			kept = append(kept, k)
		}
	}
	if len(kept) == 0 {
		return
	}
	p.mu.Lock()
	p.pending = &request{lang: lang, keys: kept}
	if p.cut != nil && (!p.playing.IsTone() || kept[0].IsDecision()) {
		p.cut()
	}
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// PlayDecision announces a decision: its tone, then its sentence.
func (p *Player) PlayDecision(lang, decision, reason string) {
	tone, prompt := ForDecision(decision, reason)
	p.Play(lang, tone, prompt)
}

// Health is nil while sounds load and the device plays; otherwise the
// device's last failure and the last sound that could not be loaded.
func (p *Player) Health() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return errors.Join(p.health, p.voices)
}

// Close stops playing and waits for the player's goroutine to end.
func (p *Player) Close() error {
	p.cancel()
	<-p.done
	return nil
}

func (p *Player) loop() {
	defer close(p.done)
	for {
		select {
		case <-p.ctx.Done():
			return
		case <-p.wake:
		}
		for {
			p.mu.Lock()
			req := p.pending
			p.pending = nil
			p.mu.Unlock()
			if req == nil {
				break
			}
			p.play(req)
		}
	}
}

// play plays one request's keys until one is cut off or the device fails.
func (p *Player) play(req *request) {
	for _, k := range req.keys {
		pcm, err := p.lib.Load(p.ctx, k, req.lang)
		p.mu.Lock()
		if !k.IsTone() {
			p.voices = err
		}
		warn := err != nil && !p.warned[err.Error()]
		if warn {
			if p.warned == nil {
				p.warned = map[string]bool{}
			}
			p.warned[err.Error()] = true
		}
		p.mu.Unlock()
		if warn {
			p.log.Warn("sound not available; playing the rest", "key", k, "lang", req.lang, "err", err)
		}
		if err != nil {
			continue
		}
		ctx, cut := context.WithCancel(p.ctx)
		p.mu.Lock()
		stale := p.pending != nil // a newer request came: the rest of this one is stale
		if !stale {
			p.playing, p.cut = k, cut
		}
		p.mu.Unlock()
		if stale {
			cut()
			return
		}
		err = p.sink.Play(ctx, pcm.Scaled(p.cfg.Gain()))
		cutOff := ctx.Err() != nil
		cut()
		p.mu.Lock()
		p.playing, p.cut = "", nil
		p.mu.Unlock()
		if cutOff {
			return
		}
		p.report(err)
		if err != nil {
			return // the device failed: the rest of the request would too
		}
	}
}

// report records the device's state and logs a change of it once: a
// failure when it starts, the recovery when it ends.
func (p *Player) report(err error) {
	p.mu.Lock()
	prev := p.health
	p.health = err
	p.mu.Unlock()
	switch {
	case err != nil && prev == nil:
		p.log.Error("sound device failed; the kiosk carries on silently", "device", p.cfg.Device, "err", err)
	case err == nil && prev != nil:
		p.log.Info("sound device plays again", "device", p.cfg.Device)
	}
}
