package cli

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress shows how a long operation goes: a bar with rate and ETA on a
// terminal, a plain line every few seconds otherwise, nothing with --json.
// Add may be called from many goroutines.
type progress struct {
	mu    sync.Mutex
	bar   *progressbar.ProgressBar
	w     io.Writer
	label string
	total int64 // bytes expected; -1 when unknown
	done  int64
	start time.Time
	last  time.Time
	quiet bool
}

func newProgress(w io.Writer, label string, total int64, quiet bool) *progress {
	p := &progress{w: w, label: label, total: total, start: time.Now(), last: time.Now(), quiet: quiet}
	if quiet {
		return p
	}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.bar = progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(label),
			progressbar.OptionShowBytes(true),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	return p
}

// Add records n more bytes done.
func (p *progress) Add(n int64) {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	if p.bar != nil {
		_ = p.bar.Add64(n)
		return
	}
	if time.Since(p.last) >= 2*time.Second {
		p.last = time.Now()
		p.line()
	}
}

func (p *progress) line() {
	el := time.Since(p.start)
	rate := mbps(p.done, el)
	if p.total > 0 {
		eta := time.Duration(0)
		if p.done > 0 {
			eta = time.Duration(float64(el) * float64(p.total-p.done) / float64(p.done))
		}
		fmt.Fprintf(p.w, "%s: %.1f / %.1f MB (%.0f%%), %.1f MB/s, ETA %s\n", p.label,
			float64(p.done)/1e6, float64(p.total)/1e6, 100*float64(p.done)/float64(p.total), rate, eta.Round(time.Second))
		return
	}
	fmt.Fprintf(p.w, "%s: %.1f MB, %.1f MB/s\n", p.label, float64(p.done)/1e6, rate)
}

// Finish ends the display.
func (p *progress) Finish() {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Finish()
		return
	}
	p.line()
}
