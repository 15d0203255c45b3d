package store

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkGuardedUpsert measures applied guarded upserts from 8 clients: half are run starts,
// half run results (each with its history insert), spread over 1,000 models.
func BenchmarkGuardedUpsert(b *testing.B) {
	s := newTestStore(b)
	ctx := context.Background()
	var next atomic.Int64
	roundTrips := s.RoundTrips()
	// RunParallel starts parallelism × GOMAXPROCS clients; aim for 8.
	b.SetParallelism(max(1, 8/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := next.Add(1)
			run := testRun{
				modelID:      fmt.Sprintf("model-%d", n%1000),
				runID:        fmt.Sprintf("run-%d", n),
				attempt:      1,
				startedAfter: time.Duration(n) * time.Millisecond,
			}
			var err error
			if n%2 == 0 {
				_, err = s.RecordStart(ctx, run.start())
			} else {
				_, err = s.RecordResult(ctx, run.result(StatusCertified), testCheckResults)
			}
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "upserts/s")
	b.ReportMetric(float64(s.RoundTrips()-roundTrips)/float64(b.N), "roundtrips/op")
}
