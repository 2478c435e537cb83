package bcemu

import "net/http"

// registerCatalogSim adds the control API's catalog routes (doc.go).
func (e *Emulator) registerCatalogSim() {
	registerSimCRUD(e, simCRUD[ProductSeed, ProductUpdate]{
		base: "/{hash}/products", key: "id",
		create: func(hash string, _ []int, in ProductSeed) (int, error) {
			p, err := e.CreateProduct(hash, in)
			return p.ID, err
		},
		update: func(hash string, ids []int, in ProductUpdate) error {
			_, err := e.UpdateProduct(hash, ids[0], in)
			return err
		},
		remove: func(hash string, ids []int) error { return e.DeleteProduct(hash, ids[0]) },
		data: func(s *store, ids []int) any {
			return s.renderProduct(s.product(ids[0]), map[string]bool{"variants": true, "images": true, "custom_fields": true})
		},
	})
	registerSimCRUD(e, simCRUD[VariantSeed, VariantUpdate]{
		base: "/{hash}/products/{id}/variants", parents: []string{"id"}, key: "variant_id",
		create: func(hash string, ids []int, in VariantSeed) (int, error) {
			v, err := e.AddVariant(hash, ids[0], in)
			return v.ID, err
		},
		update: func(hash string, ids []int, in VariantUpdate) error {
			_, err := e.UpdateVariant(hash, ids[0], ids[1], in)
			return err
		},
		remove: func(hash string, ids []int) error { return e.DeleteVariant(hash, ids[0], ids[1]) },
		data: func(s *store, ids []int) any {
			p := s.product(ids[0])
			return s.renderVariant(p, p.variant(ids[1]))
		},
	})
	registerSimCRUD(e, simCRUD[CategorySeed, CategoryUpdate]{
		base: "/{hash}/categories", key: "id",
		create: func(hash string, _ []int, in CategorySeed) (int, error) {
			c, err := e.CreateCategory(hash, in)
			return c.ID, err
		},
		update: func(hash string, ids []int, in CategoryUpdate) error {
			_, err := e.UpdateCategory(hash, ids[0], in)
			return err
		},
		remove: func(hash string, ids []int) error { return e.DeleteCategory(hash, ids[0]) },
		data:   func(s *store, ids []int) any { return s.renderCategory(s.category(ids[0])) },
	})
}

// simCRUD is one catalog resource of the control API: POST base creates
// from a seed S, PUT base/{key} updates from U, DELETE base/{key} deletes.
// The functions get the integer path values in order: those of parents
// (in base), then key's (not for create).
type simCRUD[S, U any] struct {
	base    string
	parents []string
	key     string
	create  func(hash string, ids []int, in S) (id int, err error)
	update  func(hash string, ids []int, in U) error
	remove  func(hash string, ids []int) error
	// data renders the resource named by ids; caller holds s.mu.
	data func(s *store, ids []int) any
}

// registerSimCRUD registers c's routes. POST answers 201 and PUT 200 with
// {"data": the resource, "meta": {}}; DELETE answers 204.
func registerSimCRUD[S, U any](e *Emulator, c simCRUD[S, U]) {
	out := func(w http.ResponseWriter, r *http.Request, status int, ids []int) error {
		return e.render(w, r.PathValue("hash"), status, func(s *store) (any, error) {
			return map[string]any{"data": c.data(s, ids), "meta": map[string]any{}}, nil
		})
	}
	own := append(append([]string{}, c.parents...), c.key)
	item := c.base + "/{" + c.key + "}"
	e.simRoute("POST "+c.base, func(w http.ResponseWriter, r *http.Request) error {
		var in S
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		ids, err := pathInts(r, c.parents)
		if err != nil {
			return err
		}
		id, err := c.create(r.PathValue("hash"), ids, in)
		if err != nil {
			return err
		}
		return out(w, r, http.StatusCreated, append(ids, id))
	})
	e.simRoute("PUT "+item, func(w http.ResponseWriter, r *http.Request) error {
		var in U
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		ids, err := pathInts(r, own)
		if err != nil {
			return err
		}
		if err := c.update(r.PathValue("hash"), ids, in); err != nil {
			return err
		}
		return out(w, r, http.StatusOK, ids)
	})
	e.simRoute("DELETE "+item, func(w http.ResponseWriter, r *http.Request) error {
		ids, err := pathInts(r, own)
		if err != nil {
			return err
		}
		if err := c.remove(r.PathValue("hash"), ids); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

// pathInts reads the named integer path values, in order.
func pathInts(r *http.Request, names []string) ([]int, error) {
	ids := make([]int, len(names))
	for i, name := range names {
		id, err := pathInt(r, name)
		if err != nil {
			return nil, err
		}
		ids[i] = id
	}
	return ids, nil
}
