package bedrock

import (
	"container/list"
	"sync"
)

// lru keeps at most max values by key; adding one more drops the least recently used. It is
// safe for concurrent use.
type lru[K comparable, V any] struct {
	mu      sync.Mutex
	max     int
	order   *list.List // of *lruEntry[K, V], most recently used first
	entries map[K]*list.Element
}

type lruEntry[K comparable, V any] struct {
	key   K
	value V
}

func newLRU[K comparable, V any](max int) *lru[K, V] {
	return &lru[K, V]{max: max, order: list.New(), entries: map[K]*list.Element{}}
}

// get returns the value kept for key, building and keeping it on first use; a failed build
// keeps nothing. build runs under the cache's lock, so that two callers never build one key twice.
func (l *lru[K, V]) get(key K, build func() (V, error)) (V, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, ok := l.entries[key]; ok {
		l.order.MoveToFront(e)
		return e.Value.(*lruEntry[K, V]).value, nil
	}
	value, err := build()
	if err != nil {
		return value, err
	}
	l.entries[key] = l.order.PushFront(&lruEntry[K, V]{key: key, value: value})
	if l.order.Len() > l.max {
		oldest := l.order.Back()
		l.order.Remove(oldest)
		delete(l.entries, oldest.Value.(*lruEntry[K, V]).key)
	}
	return value, nil
}

// len is the number of values kept.
func (l *lru[K, V]) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.order.Len()
}
