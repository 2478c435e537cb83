package bcemu

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// ProductUpdate changes a product; nil fields are left unchanged.
type ProductUpdate struct {
	Name         *string  `json:"name,omitempty"`
	Description  *string  `json:"description,omitempty"`
	Price        *float64 `json:"price,omitempty"`
	SalePrice    *float64 `json:"sale_price,omitempty"`
	Inventory    *int     `json:"inventory_level,omitempty"`
	Categories   *[]int   `json:"categories,omitempty"`
	Availability *string  `json:"availability,omitempty"`
	// CustomFields replaces the custom fields when given (name → value).
	CustomFields map[string]string `json:"custom_fields,omitempty"`
}

// VariantUpdate changes a variant; nil fields are left unchanged.
type VariantUpdate struct {
	SKU   *string  `json:"sku,omitempty"`
	Price *float64 `json:"price,omitempty"`
	Label *string  `json:"label,omitempty"`
}

// CategoryUpdate changes a category; nil fields are left unchanged.
type CategoryUpdate struct {
	Name        *string `json:"name,omitempty"`
	ParentID    *int    `json:"parent_id,omitempty"`
	Description *string `json:"description,omitempty"`
	SortOrder   *int    `json:"sort_order,omitempty"`
	Hidden      *bool   `json:"hidden,omitempty"`
}

func skuEvent(p *Product, v *Variant) map[string]any {
	return map[string]any{"type": "sku", "id": v.SKUID, "sku": map[string]any{"product_id": p.ID, "variant_id": v.ID}}
}

func productEvent(id int) map[string]any { return map[string]any{"type": "product", "id": id} }

func categoryEvent(id int) map[string]any { return map[string]any{"type": "category", "id": id} }

func validAvailability(a string) bool { return a == "available" || a == "preorder" || a == "disabled" }

// checkCategories refuses unknown category ids. s.mu must be held.
func (s *store) checkCategories(ids []int) error {
	for _, id := range ids {
		if s.category(id) == nil {
			return &apiError{Status: 422, Title: fmt.Sprintf("Category %d does not exist.", id), Details: map[string]string{"categories": "unknown category"}}
		}
	}
	return nil
}

func cloneProduct(p *Product) Product {
	out := *p
	out.Categories = slices.Clone(p.Categories)
	out.Images = slices.Clone(p.Images)
	out.CustomFields = slices.Clone(p.CustomFields)
	out.Variants = nil
	for _, v := range p.Variants {
		c := *v
		out.Variants = append(out.Variants, &c)
	}
	return out
}

// CreateProduct adds a catalog product: store/product/created, then
// store/sku/created for each of its variants.
func (e *Emulator) CreateProduct(hash string, in ProductSeed) (Product, error) {
	var out Product
	err := e.withStore(hash, func(s *store) error {
		if strings.TrimSpace(in.Name) == "" || in.SKU == "" {
			return &apiError{Status: 422, Title: "A product needs a name and a SKU.", Details: map[string]string{"name": "required", "sku": "required"}}
		}
		if in.Availability != "" && !validAvailability(in.Availability) {
			return &apiError{Status: 422, Title: "availability must be available, preorder or disabled.", Details: map[string]string{"availability": "invalid"}}
		}
		if err := s.checkCategories(in.Categories); err != nil {
			return err
		}
		if in.ID != 0 && s.product(in.ID) != nil {
			return errf(409, "Product %d already exists.", in.ID)
		}
		if err := s.addProduct(in, e.now()); err != nil {
			return &apiError{Status: 422, Title: strings.TrimPrefix(err.Error(), "bcemu: ")}
		}
		id := in.ID
		if id == 0 {
			id = s.Seq.Product
		}
		p := s.product(id)
		e.emit(s, "store/product/created", productEvent(p.ID))
		for _, v := range p.Variants {
			e.emit(s, "store/sku/created", skuEvent(p, v))
		}
		out = cloneProduct(p)
		return nil
	})
	return out, err
}

// UpdateProduct changes a product (store/product/updated) and its date_modified.
func (e *Emulator) UpdateProduct(hash string, id int, in ProductUpdate) (Product, error) {
	var out Product
	err := e.withStore(hash, func(s *store) error {
		p := s.product(id)
		if p == nil {
			return errf(404, "Product %d not found.", id)
		}
		if in.Categories != nil {
			if err := s.checkCategories(*in.Categories); err != nil {
				return err
			}
		}
		if in.Availability != nil && !validAvailability(*in.Availability) {
			return &apiError{Status: 422, Title: "availability must be available, preorder or disabled.", Details: map[string]string{"availability": "invalid"}}
		}
		if in.Name != nil {
			if strings.TrimSpace(*in.Name) == "" {
				return &apiError{Status: 422, Title: "A product needs a name.", Details: map[string]string{"name": "required"}}
			}
			p.Name, p.Slug = *in.Name, slugify(*in.Name)
		}
		if in.Description != nil {
			p.Description = *in.Description
		}
		if in.Price != nil {
			p.Price = MoneyFromFloat(*in.Price)
		}
		if in.SalePrice != nil {
			p.SalePrice = MoneyFromFloat(*in.SalePrice)
		}
		if in.Inventory != nil {
			p.Inventory = *in.Inventory
		}
		if in.Categories != nil {
			p.Categories = append([]int{}, *in.Categories...)
		}
		if in.Availability != nil {
			p.Availability = *in.Availability
		}
		s.setCustomFields(p, in.CustomFields)
		p.Modified = e.now()
		e.emit(s, "store/product/updated", productEvent(p.ID))
		out = cloneProduct(p)
		return nil
	})
	return out, err
}

// DeleteProduct removes a product: store/sku/deleted for each variant, then store/product/deleted.
func (e *Emulator) DeleteProduct(hash string, id int) error {
	return e.withStore(hash, func(s *store) error {
		i := sort.Search(len(s.Products), func(i int) bool { return s.Products[i].ID >= id })
		if i >= len(s.Products) || s.Products[i].ID != id {
			return errf(404, "Product %d not found.", id)
		}
		p := s.Products[i]
		s.Products = slices.Delete(s.Products, i, i+1)
		for _, v := range p.Variants {
			e.emit(s, "store/sku/deleted", skuEvent(p, v))
		}
		e.emit(s, "store/product/deleted", productEvent(p.ID))
		return nil
	})
}

// AddVariant adds a variant (an option value with its SKU) to a product:
// store/sku/created; the product's date_modified changes.
func (e *Emulator) AddVariant(hash string, productID int, in VariantSeed) (Variant, error) {
	var out Variant
	err := e.withStore(hash, func(s *store) error {
		p := s.product(productID)
		if p == nil {
			return errf(404, "Product %d not found.", productID)
		}
		if in.SKU == "" || in.Label == "" {
			return &apiError{Status: 422, Title: "A variant needs a SKU and an option label.", Details: map[string]string{"sku": "required", "label": "required"}}
		}
		if _, other := s.variantBySKU(in.SKU); other != nil {
			return &apiError{Status: 409, Title: fmt.Sprintf("SKU %s already exists.", in.SKU)}
		}
		if p.OptionID == 0 {
			p.OptionID = 100 + p.ID
			if p.OptionName == "" {
				p.OptionName = "Option"
			}
		}
		s.Seq.Variant++
		s.Seq.OptionValue++
		v := &Variant{ID: s.Seq.Variant, SKU: in.SKU, SKUID: s.Seq.Variant, Label: in.Label, ValueID: s.Seq.OptionValue, Price: MoneyFromFloat(in.Price)}
		p.Variants = append(p.Variants, v)
		p.Modified = e.now()
		e.emit(s, "store/sku/created", skuEvent(p, v))
		out = *v
		return nil
	})
	return out, err
}

// UpdateVariant changes a variant (store/sku/updated); the product's date_modified changes.
func (e *Emulator) UpdateVariant(hash string, productID, variantID int, in VariantUpdate) (Variant, error) {
	var out Variant
	err := e.withStore(hash, func(s *store) error {
		p := s.product(productID)
		if p == nil {
			return errf(404, "Product %d not found.", productID)
		}
		v := p.variant(variantID)
		if v == nil {
			return errf(404, "Variant %d of product %d not found.", variantID, productID)
		}
		if in.SKU != nil && !strings.EqualFold(*in.SKU, v.SKU) {
			if *in.SKU == "" {
				return &apiError{Status: 422, Title: "A variant needs a SKU.", Details: map[string]string{"sku": "required"}}
			}
			if _, other := s.variantBySKU(*in.SKU); other != nil {
				return &apiError{Status: 409, Title: fmt.Sprintf("SKU %s already exists.", *in.SKU)}
			}
			v.SKU = *in.SKU
		}
		if in.Price != nil {
			v.Price = MoneyFromFloat(*in.Price)
		}
		if in.Label != nil {
			v.Label = *in.Label
		}
		p.Modified = e.now()
		e.emit(s, "store/sku/updated", skuEvent(p, v))
		out = *v
		return nil
	})
	return out, err
}

// DeleteVariant removes a variant (store/sku/deleted); a product keeps at least one.
func (e *Emulator) DeleteVariant(hash string, productID, variantID int) error {
	return e.withStore(hash, func(s *store) error {
		p := s.product(productID)
		if p == nil {
			return errf(404, "Product %d not found.", productID)
		}
		i := slices.IndexFunc(p.Variants, func(v *Variant) bool { return v.ID == variantID })
		if i < 0 {
			return errf(404, "Variant %d of product %d not found.", variantID, productID)
		}
		if len(p.Variants) == 1 {
			return errf(422, "A product keeps at least one variant; delete the product instead.")
		}
		v := p.Variants[i]
		p.Variants = slices.Delete(p.Variants, i, i+1)
		p.Modified = e.now()
		e.emit(s, "store/sku/deleted", skuEvent(p, v))
		return nil
	})
}

// CreateCategory adds a catalog category (store/category/created).
func (e *Emulator) CreateCategory(hash string, in CategorySeed) (Category, error) {
	var out Category
	err := e.withStore(hash, func(s *store) error {
		c, err := s.addCategory(in, e.now())
		if err != nil {
			return err
		}
		e.emit(s, "store/category/created", categoryEvent(c.ID))
		out = *c
		return nil
	})
	return out, err
}

// UpdateCategory changes a category (store/category/updated).
func (e *Emulator) UpdateCategory(hash string, id int, in CategoryUpdate) (Category, error) {
	var out Category
	err := e.withStore(hash, func(s *store) error {
		c := s.category(id)
		if c == nil {
			return errf(404, "Category %d not found.", id)
		}
		if in.ParentID != nil && *in.ParentID != 0 {
			// The parent must exist and must not be the category or one of its descendants.
			for p := s.category(*in.ParentID); ; p = s.category(p.ParentID) {
				if p == nil {
					return &apiError{Status: 422, Title: "The parent category does not exist.", Details: map[string]string{"parent_id": "unknown category"}}
				}
				if p.ID == c.ID {
					return &apiError{Status: 422, Title: "A category cannot be its own ancestor.", Details: map[string]string{"parent_id": "cycle"}}
				}
				if p.ParentID == 0 {
					break
				}
			}
		}
		if in.Name != nil {
			if strings.TrimSpace(*in.Name) == "" {
				return &apiError{Status: 422, Title: "A category needs a name.", Details: map[string]string{"name": "required"}}
			}
			c.Name, c.Slug = *in.Name, slugify(*in.Name)
		}
		if in.ParentID != nil {
			c.ParentID = *in.ParentID
		}
		if in.Description != nil {
			c.Description = *in.Description
		}
		if in.SortOrder != nil {
			c.SortOrder = *in.SortOrder
		}
		if in.Hidden != nil {
			c.IsVisible = !*in.Hidden
		}
		c.Modified = e.now()
		e.emit(s, "store/category/updated", categoryEvent(c.ID))
		out = *c
		return nil
	})
	return out, err
}

// DeleteCategory removes a category without subcategories
// (store/category/deleted); products in it leave it and their date_modified changes.
func (e *Emulator) DeleteCategory(hash string, id int) error {
	return e.withStore(hash, func(s *store) error {
		i := sort.Search(len(s.Categories), func(i int) bool { return s.Categories[i].ID >= id })
		if i >= len(s.Categories) || s.Categories[i].ID != id {
			return errf(404, "Category %d not found.", id)
		}
		for _, c := range s.Categories {
			if c.ParentID == id {
				return errf(422, "Category %d has subcategories; delete them first.", id)
			}
		}
		s.Categories = slices.Delete(s.Categories, i, i+1)
		now := e.now()
		for _, p := range s.Products {
			if j := slices.Index(p.Categories, id); j >= 0 {
				p.Categories = slices.Delete(p.Categories, j, j+1)
				p.Modified = now
			}
		}
		e.emit(s, "store/category/deleted", categoryEvent(id))
		return nil
	})
}
