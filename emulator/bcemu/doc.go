// Package bcemu emulates BigCommerce stores at the HTTP level.
package bcemu
