package certify

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// errBudgetReached is what a budgeted model returns instead of calling the model.
var errBudgetReached = errors.New("token budget reached")

// tokenBudget is a run's allowance of tokens (input plus output), shared by its checks. A zero
// or negative max means no budget. Calls are admitted while the spent tokens are below max, so
// a run overshoots it by at most the usage of the calls already in flight when it is reached
// (at most Options.MaxConcurrency of them).
type tokenBudget struct {
	max   int64
	mu    sync.Mutex
	spent int64
}

// reached reports whether no further call may be made.
func (b *tokenBudget) reached() bool {
	if b.max <= 0 {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.spent >= b.max
}

// spend records the usage of a finished call; nil (no usage reported) costs nothing.
func (b *tokenBudget) spend(u *Usage) {
	if u == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.spent += u.InputTokens + u.OutputTokens
}

func (b *tokenBudget) total() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.spent
}

// reason is the message of a check skipped because the budget was reached.
func (b *tokenBudget) reason() string {
	return fmt.Sprintf("token budget of %d reached after %d tokens", b.max, b.total())
}

// budgetedModel is the model as one check sees it: every call is charged to the run's budget,
// and once the budget is reached calls fail with errBudgetReached without reaching the model.
// A check's calls are sequential, so refused needs no lock.
type budgetedModel struct {
	Model
	budget  *tokenBudget
	refused bool
}

// admit refuses a call once the budget is reached, and remembers it did.
func (m *budgetedModel) admit() error {
	if m.budget.reached() {
		m.refused = true
		return errBudgetReached
	}
	return nil
}

func (m *budgetedModel) Converse(ctx context.Context, req Request) (Response, error) {
	if err := m.admit(); err != nil {
		return Response{}, err
	}
	resp, err := m.Model.Converse(ctx, req)
	m.budget.spend(resp.Usage)
	return resp, err
}

func (m *budgetedModel) ConverseStream(ctx context.Context, req Request) (StreamResponse, error) {
	if err := m.admit(); err != nil {
		return StreamResponse{}, err
	}
	resp, err := m.Model.ConverseStream(ctx, req)
	m.budget.spend(resp.Usage)
	return resp, err
}
