package dims

import (
	"fmt"
	"sync"

	"github.com/flavortrend/flavortrend/ingest/debezium"
)

// Couriers maps each courier to its city, for routing the courier's GPS fixes (which name
// only the courier) to the city stage.
type Couriers struct {
	mu   sync.RWMutex
	city map[int32]int32
}

// NewCouriers is an empty dimension.
func NewCouriers() *Couriers { return &Couriers{city: map[int32]int32{}} }

// City returns the city of a courier.
func (c *Couriers) City(id int32) (int32, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	city, ok := c.city[id]
	return city, ok
}

// Apply takes a change of the couriers table.
func (c *Couriers) Apply(ev *debezium.Event) error {
	if ev.Op == debezium.OpDelete {
		return nil // positions may still name a deleted courier; keep its city
	}
	id, err1 := intValue(ev.After, "id")
	city, err2 := intValue(ev.After, "city_id")
	if err := firstErr(err1, err2); err != nil {
		return fmt.Errorf("couriers: %w", err)
	}
	c.mu.Lock()
	c.city[int32(id)] = int32(city)
	c.mu.Unlock()
	return nil
}

// Cities names the cities, for alert titles.
type Cities struct {
	mu   sync.RWMutex
	name map[int32]string
}

// NewCities is an empty dimension.
func NewCities() *Cities { return &Cities{name: map[int32]string{}} }

// Name returns a city's name.
func (c *Cities) Name(id int32) (string, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n, ok := c.name[id]
	return n, ok
}

// Apply takes a change of the cities table.
func (c *Cities) Apply(ev *debezium.Event) error {
	if ev.Op == debezium.OpDelete {
		return nil
	}
	id, err := intValue(ev.After, "id")
	if err != nil {
		return fmt.Errorf("cities: %w", err)
	}
	c.mu.Lock()
	c.name[int32(id)] = string(trimQuotes(ev.After.Get("name")))
	c.mu.Unlock()
	return nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
