/**
 * The three sheets of a sales workbook and their columns (docs/retail.md lists the same; a test keeps them in step):
 * the field each column fills in the published row, the header names it is recognised by, its kind of value and
 * whether it is required. Header names match case-, space-, punctuation- and accent-insensitively (headers.ts).
 *
 * The fields are the columns of the declared sources `sql/sources/products.sql`, `crm_clients.sql` and
 * `invoice_lines.sql`, and each sheet's topic is its source's topic.
 */

export type FieldKind = 'id' | 'text' | 'email' | 'money' | 'stock' | 'quantity' | 'line' | 'date' | 'timestamp';

export interface FieldSpec {
  field: string;
  kind: FieldKind;
  required: boolean;
  /** Header names besides the field's own, in order of preference when two columns name the same field. */
  aliases: string[];
}

export type SheetName = 'Products' | 'Clients' | 'Invoices';

export interface SheetSpec {
  sheet: SheetName;
  /** Sheet (or CSV file) names recognised besides the sheet's own. */
  aliases: string[];
  /** The declared source its rows are published to. */
  source: string;
  topic: string;
  key: string[];
  fields: FieldSpec[];
}

const f = (field: string, kind: FieldKind, required: boolean, aliases: string[]): FieldSpec => ({
  field,
  kind,
  required,
  aliases,
});

export const PRODUCTS: SheetSpec = {
  sheet: 'Products',
  aliases: ['product', 'items', 'articles', 'produits', 'inventory', 'stock'],
  source: 'products',
  topic: 'inventory.products',
  key: ['product_id'],
  fields: [
    f('product_id', 'id', true, [
      'product id',
      'product',
      'id',
      'sku',
      'product code',
      'code',
      'item id',
      'article',
      'ref',
    ]),
    f('name', 'text', true, ['product name', 'description', 'item', 'designation', 'libelle']),
    f('category', 'text', false, ['categorie', 'family', 'group', 'department']),
    f('stock_qty', 'stock', false, [
      'quantity in stock',
      'qty in stock',
      'stock',
      'in stock',
      'on hand',
      'stock quantity',
      'quantity',
      'qty',
      'quantite en stock',
    ]),
    f('buy_price', 'money', true, ['buy price', 'purchase price', 'cost price', 'unit cost', 'cost', 'prix dachat']),
    f('sell_price', 'money', true, [
      'sell price',
      'selling price',
      'sale price',
      'list price',
      'retail price',
      'unit price',
      'price',
      'prix de vente',
    ]),
    f('expiry_date', 'date', false, [
      'expiry date',
      'expiry',
      'expiration date',
      'expires',
      'best before',
      'use by',
      'dlc',
    ]),
    f('last_movement', 'date', false, ['last movement', 'last moved', 'last movement date', 'last sale', 'last sold']),
    f('price_date', 'timestamp', false, [
      'price date',
      'updated at',
      'updated',
      'last updated',
      'price since',
      'effective date',
      'valid from',
    ]),
  ],
};

export const CLIENTS: SheetSpec = {
  sheet: 'Clients',
  aliases: ['client', 'customers', 'customer'],
  source: 'crm_clients',
  topic: 'crm.clients',
  key: ['client_id'],
  fields: [
    f('client_id', 'id', true, ['client id', 'client', 'customer id', 'customer', 'id', 'client code', 'code']),
    f('name', 'text', true, ['client name', 'customer name', 'company', 'full name', 'nom']),
    f('city', 'text', false, ['town', 'ville']),
    f('email', 'email', false, ['e-mail', 'email address', 'mail', 'courriel']),
  ],
};

export const INVOICES: SheetSpec = {
  sheet: 'Invoices',
  aliases: ['invoice', 'invoice lines', 'sales', 'factures', 'lines'],
  source: 'invoice_lines',
  topic: 'sales.invoices',
  key: ['invoice_id', 'line'],
  fields: [
    f('invoice_id', 'id', true, ['invoice id', 'invoice', 'invoice no', 'invoice number', 'number', 'facture']),
    f('line', 'line', false, ['line', 'line no', 'line number', 'position', 'pos', 'ligne']),
    f('invoice_date', 'date', true, ['date', 'invoice date', 'sale date', 'sold on', 'order date']),
    f('client_id', 'id', true, ['client id', 'client', 'customer id', 'customer']),
    f('product_id', 'id', true, ['product id', 'product', 'sku', 'item id', 'item', 'article', 'code']),
    f('quantity', 'quantity', true, ['qty', 'units', 'quantite']),
    f('unit_price', 'money', false, [
      'unit price',
      'unit sell price',
      'sell price',
      'sale price',
      'price',
      'price charged',
      'prix unitaire',
    ]),
  ],
};

export const SHEETS: readonly SheetSpec[] = [PRODUCTS, CLIENTS, INVOICES];

/** The topic that carries the day of the latest upload (sql/sources/retail_as_of.sql). */
export const AS_OF_TOPIC = 'retail.as_of';
