package main

import (
	"bytes"
	"os"
	"strconv"
	"sync"
	"time"
)

// anonPeak samples the process's anonymous resident memory (RssAnon in
// /proc/self/status) every 20 ms and keeps the largest value. Maxrss also
// counts file pages mapped and touched (Badger reads and writes its value
// log and tables through memory maps), which the kernel takes back under
// pressure; RssAnon is the heap and stacks, the memory a process cannot
// give back.
type anonPeak struct {
	mu   sync.Mutex
	max  int64
	stop chan struct{}
	done chan struct{}
}

func startAnonPeak() *anonPeak {
	a := &anonPeak{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(a.done)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			a.sample()
			select {
			case <-a.stop:
				return
			case <-t.C:
			}
		}
	}()
	return a
}

func (a *anonPeak) sample() {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return
	}
	i := bytes.Index(b, []byte("RssAnon:"))
	if i < 0 {
		return
	}
	f := bytes.Fields(b[i+len("RssAnon:"):])
	if len(f) == 0 {
		return
	}
	kib, err := strconv.ParseInt(string(f[0]), 10, 64)
	if err != nil {
		return
	}
	a.mu.Lock()
	a.max = max(a.max, kib<<10)
	a.mu.Unlock()
}

// Stop ends the sampling and returns the peak in bytes (0 where
// /proc/self/status has no RssAnon).
func (a *anonPeak) Stop() int64 {
	close(a.stop)
	<-a.done
	a.sample()
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.max
}
