package bcemu

import "net/http"

// registerCatalogSim adds the control API's catalog routes (doc.go).
func (e *Emulator) registerCatalogSim() {
	productOut := func(w http.ResponseWriter, r *http.Request, status, id int) error {
		return e.render(w, r.PathValue("hash"), status, func(s *store) (any, error) {
			return map[string]any{"data": s.renderProduct(s.product(id), map[string]bool{"variants": true, "images": true, "custom_fields": true}), "meta": map[string]any{}}, nil
		})
	}
	e.simRoute("POST /{hash}/products", func(w http.ResponseWriter, r *http.Request) error {
		var in ProductSeed
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		p, err := e.CreateProduct(r.PathValue("hash"), in)
		if err != nil {
			return err
		}
		return productOut(w, r, http.StatusCreated, p.ID)
	})
	e.simRoute("PUT /{hash}/products/{id}", func(w http.ResponseWriter, r *http.Request) error {
		var in ProductUpdate
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		id, err := pathInt(r, "id")
		if err != nil {
			return err
		}
		if _, err := e.UpdateProduct(r.PathValue("hash"), id, in); err != nil {
			return err
		}
		return productOut(w, r, http.StatusOK, id)
	})
	e.simRoute("DELETE /{hash}/products/{id}", func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathInt(r, "id")
		if err != nil {
			return err
		}
		if err := e.DeleteProduct(r.PathValue("hash"), id); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
	variantOut := func(w http.ResponseWriter, r *http.Request, status, productID, variantID int) error {
		return e.render(w, r.PathValue("hash"), status, func(s *store) (any, error) {
			p := s.product(productID)
			return map[string]any{"data": s.renderVariant(p, p.variant(variantID)), "meta": map[string]any{}}, nil
		})
	}
	e.simRoute("POST /{hash}/products/{id}/variants", func(w http.ResponseWriter, r *http.Request) error {
		var in VariantSeed
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		id, err := pathInt(r, "id")
		if err != nil {
			return err
		}
		v, err := e.AddVariant(r.PathValue("hash"), id, in)
		if err != nil {
			return err
		}
		return variantOut(w, r, http.StatusCreated, id, v.ID)
	})
	e.simRoute("PUT /{hash}/products/{id}/variants/{variant_id}", func(w http.ResponseWriter, r *http.Request) error {
		var in VariantUpdate
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		id, err := pathInt(r, "id")
		if err != nil {
			return err
		}
		vid, err := pathInt(r, "variant_id")
		if err != nil {
			return err
		}
		if _, err := e.UpdateVariant(r.PathValue("hash"), id, vid, in); err != nil {
			return err
		}
		return variantOut(w, r, http.StatusOK, id, vid)
	})
	e.simRoute("DELETE /{hash}/products/{id}/variants/{variant_id}", func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathInt(r, "id")
		if err != nil {
			return err
		}
		vid, err := pathInt(r, "variant_id")
		if err != nil {
			return err
		}
		if err := e.DeleteVariant(r.PathValue("hash"), id, vid); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
	categoryOut := func(w http.ResponseWriter, r *http.Request, status, id int) error {
		return e.render(w, r.PathValue("hash"), status, func(s *store) (any, error) {
			return map[string]any{"data": s.renderCategory(s.category(id)), "meta": map[string]any{}}, nil
		})
	}
	e.simRoute("POST /{hash}/categories", func(w http.ResponseWriter, r *http.Request) error {
		var in CategorySeed
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		c, err := e.CreateCategory(r.PathValue("hash"), in)
		if err != nil {
			return err
		}
		return categoryOut(w, r, http.StatusCreated, c.ID)
	})
	e.simRoute("PUT /{hash}/categories/{id}", func(w http.ResponseWriter, r *http.Request) error {
		var in CategoryUpdate
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		id, err := pathInt(r, "id")
		if err != nil {
			return err
		}
		if _, err := e.UpdateCategory(r.PathValue("hash"), id, in); err != nil {
			return err
		}
		return categoryOut(w, r, http.StatusOK, id)
	})
	e.simRoute("DELETE /{hash}/categories/{id}", func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathInt(r, "id")
		if err != nil {
			return err
		}
		if err := e.DeleteCategory(r.PathValue("hash"), id); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}
