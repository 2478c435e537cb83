package store

import "time"

// SyncRun is one store sync (historical, manual, reconcile), as the admin
// API, the CLI and the dashboard show it. The sync's activities keep it
// current after every page.
type SyncRun struct {
	StoreHash  string `json:"store_hash"`
	Kind       string `json:"kind"`
	WorkflowID string `json:"workflow_id"`
	// Status is running, completed, failed or cancelled.
	Status     string    `json:"status"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at,omitempty"`
	// Since is the modified-since bound this run copied from (zero: all).
	Since time.Time `json:"since,omitempty"`
	// HighWater is the bound the next manual sync starts from: this run's
	// start (the overlap is applied when it is read).
	HighWater time.Time `json:"high_water,omitempty"`
	// Error is why a failed run failed (no secrets, no personal data).
	Error     string             `json:"error,omitempty"`
	Resources []ResourceProgress `json:"resources"`
}

// ResourceProgress is a sync's progress on one resource.
type ResourceProgress struct {
	Resource string `json:"resource"`
	// Total is the number of items the store reported at the start (-1
	// while unknown).
	Total int64 `json:"total"`
	// Done is the number of items copied into the mirror.
	Done int64 `json:"done"`
	// Pushed is the number of items sent to the provider because they
	// changed (a re-sync of unchanged data pushes none).
	Pushed int64 `json:"pushed"`
	// Pages and PagesDone count list pages (Pages 0 while unknown).
	Pages     int `json:"pages"`
	PagesDone int `json:"pages_done"`
	// Requests is the number of BigCommerce requests this resource made.
	Requests  int64     `json:"requests"`
	StartedAt time.Time `json:"started_at,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitempty"`
	// Finished is set when every page is done.
	Finished bool `json:"finished"`
}
