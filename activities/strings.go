package activities

import (
	"strconv"
	"strings"
)

func itoa(n int64) string   { return strconv.FormatInt(n, 10) }
func lower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
