package sensor

import (
	"fmt"
	"strconv"
	"strings"

	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/devices/v3/mcp9808"
)

// Room-air sensor kinds OpenRoomSensor knows.
const RoomMCP9808 = "mcp9808"

// RoomSpec names an optional room-air sensor: a kind and its I²C address.
type RoomSpec struct {
	Kind string // "" for none, or RoomMCP9808
	Addr uint16 // 0 for the kind's default address
}

// ParseRoomSpec parses "KIND" or "KIND@ADDR" (e.g. "mcp9808@0x19"); "" is none.
func ParseRoomSpec(s string) (RoomSpec, error) {
	if s == "" {
		return RoomSpec{}, nil
	}
	kind, addr, hasAddr := strings.Cut(s, "@")
	spec := RoomSpec{Kind: strings.ToLower(kind)}
	if spec.Kind != RoomMCP9808 {
		return RoomSpec{}, fmt.Errorf("unknown room sensor %q (want %q)", kind, RoomMCP9808)
	}
	if hasAddr {
		a, err := strconv.ParseUint(addr, 0, 7)
		if err != nil {
			return RoomSpec{}, fmt.Errorf("room sensor address %q: want a 7-bit address such as 0x18", addr)
		}
		spec.Addr = uint16(a)
	}
	return spec, nil
}

// OpenRoomSensor opens the room-air sensor spec names on bus. An MCP9808
// measures to ±0.25 °C, better than the MLX90614's die, which the electronics
// beside it warm.
func OpenRoomSensor(bus i2c.Bus, spec RoomSpec) (AmbientSensor, error) {
	switch spec.Kind {
	case RoomMCP9808:
		opts := mcp9808.DefaultOpts
		if spec.Addr != 0 {
			opts.Addr = int(spec.Addr)
		}
		d, err := mcp9808.New(bus, &opts)
		if err != nil {
			return nil, fmt.Errorf("room sensor mcp9808 at %#02x: %w", opts.Addr, err)
		}
		return mcp9808Room{d}, nil
	default:
		return nil, fmt.Errorf("unknown room sensor %q", spec.Kind)
	}
}

type mcp9808Room struct{ d *mcp9808.Dev }

func (r mcp9808Room) Ambient() (physic.Temperature, error) { return r.d.SenseTemp() }
