package whmcs

import "context"

// OperationCount is the number of journaled operations of one kind in one
// state.
type OperationCount struct {
	// Kind is the first word of the operations' kind, so that kinds that
	// carry an argument after a space, such as "revoke_key AKID", form one
	// group without the argument.
	Kind  string         `db:"kind"`
	State OperationState `db:"state"`
	Count int64          `db:"operations"`
	// OldestAge is the age in seconds of the group's oldest operation,
	// measured with the database clock that stamped created_at.
	OldestAge int64 `db:"oldest_age"`
}

// countOperations scans the whole journal, because no index starts with
// state or kind. SUBSTRING_INDEX with a count of 1 returns the text before
// the first space, or the whole text when it has none.
const countOperations = `SELECT SUBSTRING_INDEX(kind, ' ', 1) AS kind, state,
	COUNT(*) AS operations,
	GREATEST(TIMESTAMPDIFF(SECOND, MIN(created_at), NOW()), 0) AS oldest_age
FROM mod_ostorbridge_operations
GROUP BY SUBSTRING_INDEX(kind, ' ', 1), state
ORDER BY kind, state`

// OperationCounts returns the number of journaled operations of every
// kind and state, for monitoring. Kinds are grouped by their first word.
func (s *Store) OperationCounts(ctx context.Context) ([]OperationCount, error) {
	counts := []OperationCount{}
	if err := s.db.SelectContext(ctx, &counts, countOperations); err != nil {
		return nil, wrapDBError("count journaled operations", err)
	}
	return counts, nil
}
