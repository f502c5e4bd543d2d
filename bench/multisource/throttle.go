package main

import (
	"io"
	"net"
	"strings"
	"sync"
	"time"
)

// On loopback every source is as fast as the CPU lets it be, and one
// source can already keep a 2-core machine busy: more sources then only
// share the same cores. Real sources are limited by their uplinks. With
// -cap-mbps, each source (its libp2p port or its gateway) is reached
// through a TCP proxy that sends at most that many MB/s towards the
// fetcher, shared by all connections to that source, which models a
// source with that uplink.

// bucket is a token bucket of bytes per second.
type bucket struct {
	mu     sync.Mutex
	rate   float64 // bytes per second
	burst  float64
	tokens float64
	last   time.Time
}

func newBucket(bytesPerSec float64) *bucket {
	return &bucket{rate: bytesPerSec, burst: 256 << 10, tokens: 256 << 10, last: time.Now()}
}

// take waits until n bytes may be sent.
func (b *bucket) take(n int) {
	b.mu.Lock()
	now := time.Now()
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	b.tokens -= float64(n)
	var wait time.Duration
	if b.tokens < 0 {
		wait = time.Duration(-b.tokens / b.rate * float64(time.Second))
	}
	b.mu.Unlock()
	if wait > 0 {
		time.Sleep(wait)
	}
}

// throttle is a TCP proxy to target whose responses are rate-limited.
type throttle struct {
	ln     net.Listener
	target string
	b      *bucket
	wg     sync.WaitGroup
}

func newThrottle(target string, mbps float64) (*throttle, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	t := &throttle{ln: ln, target: target, b: newBucket(mbps * 1e6)}
	t.wg.Add(1)
	go t.accept()
	return t, nil
}

// Port is the proxy's port.
func (t *throttle) Port() string {
	_, p, _ := net.SplitHostPort(t.ln.Addr().String())
	return p
}

func (t *throttle) accept() {
	defer t.wg.Done()
	for {
		c, err := t.ln.Accept()
		if err != nil {
			return
		}
		go t.serve(c)
	}
}

func (t *throttle) serve(c net.Conn) {
	defer c.Close()
	up, err := net.Dial("tcp", t.target)
	if err != nil {
		return
	}
	defer up.Close()
	done := make(chan struct{}, 2)
	go func() { // towards the source: not limited
		_, _ = io.Copy(up, c)
		closeWrite(up)
		done <- struct{}{}
	}()
	go func() { // towards the fetcher: limited
		buf := make([]byte, 32<<10)
		for {
			n, err := up.Read(buf)
			if n > 0 {
				t.b.take(n)
				if _, werr := c.Write(buf[:n]); werr != nil {
					break
				}
			}
			if err != nil {
				break
			}
		}
		closeWrite(c)
		done <- struct{}{}
	}()
	<-done
	<-done
}

func closeWrite(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
}

func (t *throttle) Close() { _ = t.ln.Close() }

// viaThrottle rewrites a /ip4/127.0.0.1/tcp/PORT/... multiaddr or an
// http://127.0.0.1:PORT URL to go through a new throttle.
func viaThrottle(addr string, mbps float64) (string, *throttle, error) {
	if strings.HasPrefix(addr, "http://") {
		hostport := strings.TrimPrefix(addr, "http://")
		t, err := newThrottle(hostport, mbps)
		if err != nil {
			return "", nil, err
		}
		return "http://127.0.0.1:" + t.Port(), t, nil
	}
	// /ip4/127.0.0.1/tcp/PORT/p2p/ID
	parts := strings.Split(addr, "/")
	if len(parts) < 5 || parts[1] != "ip4" || parts[3] != "tcp" {
		return addr, nil, nil
	}
	t, err := newThrottle(parts[2]+":"+parts[4], mbps)
	if err != nil {
		return "", nil, err
	}
	parts[4] = t.Port()
	return strings.Join(parts, "/"), t, nil
}
