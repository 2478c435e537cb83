package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/bcflow/bcflow/config"
)

// adminClient calls the admin API of a running bcflow, as `bcflow redrive`
// and `bcflow sync` do.
type adminClient struct {
	base  string
	token string
}

// newAdminClient reads the admin token from cfg (BCFLOW_ADMIN_TOKEN is
// required) and calls base, or http://BCFLOW_HTTP_ADDR when base is empty.
func newAdminClient(cfg *config.Config, base string) (*adminClient, error) {
	if !cfg.AdminToken.IsSet() {
		return nil, usagef("config: BCFLOW_ADMIN_TOKEN is required to call the admin API")
	}
	if base == "" {
		base = "http://" + cfg.HTTPAddr
	}
	return &adminClient{base: strings.TrimRight(base, "/"), token: cfg.AdminToken.Reveal()}, nil
}

// adminError is an admin API answer other than 2xx.
type adminError struct {
	Method, Path string
	Status       int
	// Code and Message are the API's error body, when it sent one.
	Code, Message string
}

func (e *adminError) Error() string {
	if e.Message != "" {
		return fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.Path, e.Status, e.Code, e.Message)
	}
	return fmt.Sprintf("%s %s: status %d", e.Method, e.Path, e.Status)
}

// do sends method path with body as JSON (nil: no body) and decodes a 2xx
// answer into out (nil: ignored). Any other answer is an *adminError; a
// malformed base URL is a usage error.
func (a *adminClient) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("%s %s: encode body: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return usagef("bad -url %q: %v", a.base, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &adminError{Method: method, Path: path, Status: resp.StatusCode}
		var eb struct {
			Error struct{ Code, Message string }
		}
		if json.Unmarshal(raw, &eb) == nil {
			e.Code, e.Message = eb.Error.Code, eb.Error.Message
		}
		return e
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%s %s: unexpected answer: %w", method, path, err)
		}
	}
	return nil
}
