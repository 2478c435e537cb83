package brevoemu

import "net/http"

// ecommerce indexes the orders, products and categories by id (their
// position in state), and interns the strings that repeat across orders.
type ecommerce struct {
	orders     map[string]int32
	products   map[string]int32
	categories map[string]int32
	intern     map[string]string
}

func newEcommerce() ecommerce {
	return ecommerce{orders: map[string]int32{}, products: map[string]int32{}, categories: map[string]int32{}, intern: map[string]string{}}
}

// load indexes a decoded snapshot.
func (x *ecommerce) load(st *state) {
	for i, o := range st.Orders {
		x.orders[o.ID] = int32(i)
	}
	for i, p := range st.Products {
		x.products[p.ID] = int32(i)
	}
	for i, c := range st.Categories {
		x.categories[c.ID] = int32(i)
	}
}

// syncRoutes registers what a store sync writes (and reads back).
func (e *Emulator) syncRoutes(api func(string, http.HandlerFunc)) {
	api(EndpointOrderStatus, e.createOrder)
	api(EndpointOrderBatch, e.createOrderBatch)
	api(EndpointListOrders, e.listOrders)
	api(EndpointCreateProduct, e.createProduct)
	api(EndpointProductBatch, e.createProductBatch)
	api(EndpointListProducts, e.listProducts)
	api(EndpointGetProduct, e.getProduct)
	api(EndpointCreateCategory, e.createCategory)
	api(EndpointCategoryBatch, e.createCategoryBatch)
	api(EndpointListCategories, e.listCategories)
	api(EndpointGetCategory, e.getCategory)
	api(EndpointImportContacts, e.importContacts)
	api(EndpointContactBatch, e.updateContactBatch)
	api(EndpointListContacts, e.listContacts)
	api(EndpointGetProcess, e.getProcess)
	api(EndpointListProcesses, e.listProcesses)
	api(EndpointListFolders, e.listFolders)
	api(EndpointCreateFolder, e.createFolder)
	api(EndpointListLists, e.listLists)
	api(EndpointCreateList, e.createList)
	api(EndpointGetList, e.getList)
	api(EndpointListMembers, e.listMembers)
	api(EndpointAddToList, e.addToList)
	api(EndpointRemoveFromList, e.removeFromList)
	api(EndpointListAttributes, e.listAttributes)
	api(EndpointCreateAttribute, e.createAttribute)
}
