// Generated Meli resources in the shapes api.mercadolibre.com returns (categories, items, sites, users,
// search). Every value comes from a SeededRandom keyed by the resource, so the same id gives the same
// JSON bytes on every run; list lengths vary by id, spreading sizes between about 0.5 and 3 KB.
import { allMeliSites, siteOfId, type MeliSite } from './meli-sites.js'
import { SeededRandom } from './seeded-random.js'

// Item and category ids: a site prefix and digits. `ML?` follows the brief (MLA, MLB, MLM, ...); the others are
// the remaining real Meli sites (MCO Colombia, MPE Perú, ...).
const ITEM_OR_CATEGORY_ID = /^(?:ML[A-Z]|MBO|MCO|MCR|MCU|MEC|MGT|MHN|MNI|MPA|MPE|MPY|MRD|MSV)\d{1,15}$/
const USER_ID = /^\d{1,12}$/

export function isItemOrCategoryId(id: string): boolean {
  return ITEM_OR_CATEGORY_ID.test(id)
}

export function isUserId(id: string): boolean {
  return USER_ID.test(id)
}

const PRODUCTS = ['Celular', 'Notebook', 'Zapatillas', 'Auriculares', 'Smart Tv', 'Heladera', 'Bicicleta', 'Cafetera', 'Mochila', 'Reloj', 'Tablet', 'Campera', 'Parlante', 'Monitor', 'Taladro', 'Silla Gamer']
const BRANDS = ['Samsung', 'Motorola', 'Apple', 'Xiaomi', 'Lenovo', 'Nike', 'Adidas', 'Philips', 'Sony', 'LG', 'Bosch', 'Gadnic', 'Noblex', 'Whirlpool']
const QUALIFIERS = ['128gb', 'Negro', 'Azul', '4k Ultra Hd', 'Inalámbrico', 'Original', 'Importado', 'Con Garantía', 'Edición 2024', 'Pro Max', 'Liviano', 'Reforzado']
const CATEGORY_WORDS = ['Celulares y Teléfonos', 'Computación', 'Electrodomésticos', 'Deportes y Fitness', 'Hogar, Muebles y Jardín', 'Herramientas', 'Ropa y Accesorios', 'Consolas y Videojuegos', 'Cámaras y Accesorios', 'Instrumentos Musicales', 'Juegos y Juguetes', 'Belleza y Cuidado Personal']
const VERTICALS = ['consumer_electronics', 'home', 'fashion', 'sports', 'tools', 'other']
const CITIES = ['Palermo', 'Belgrano', 'Caballito', 'Rosario', 'La Plata', 'Mar del Plata', 'San Isidro', 'Quilmes', 'Centro', 'Norte']
const NICK_PARTS = ['TIENDA', 'SHOP', 'STORE', 'OFERTAS', 'MEGA', 'TECNO', 'HOGAR', 'DEPORTES', 'ONLINE', 'EXPRESS']
const ATTRIBUTES: ReadonlyArray<readonly [string, string, readonly string[]]> = [
  ['BRAND', 'Marca', BRANDS],
  ['ITEM_CONDITION', 'Condición del ítem', ['Nuevo', 'Usado', 'Reacondicionado']],
  ['COLOR', 'Color', ['Negro', 'Blanco', 'Azul', 'Rojo', 'Gris', 'Verde']],
  ['MODEL', 'Modelo', ['A15', 'G84', 'X200', 'Pro 2', 'Lite', 'Ultra']],
  ['LINE', 'Línea', ['Galaxy', 'Moto', 'Redmi', 'IdeaPad', 'Air', 'Classic']],
  ['WARRANTY_TYPE', 'Tipo de garantía', ['Garantía del vendedor', 'Garantía de fábrica', 'Sin garantía']],
  ['WEIGHT', 'Peso', ['180 g', '1.2 kg', '350 g', '2.5 kg', '90 g']],
  ['MATERIAL', 'Material', ['Plástico', 'Aluminio', 'Acero', 'Tela', 'Cuero']],
  ['GTIN', 'Código universal de producto', ['7790001234567', '7891234567895', '0194252707319', '6941812716351']],
  ['IS_KIT', 'Es kit', ['Sí', 'No']],
]

function isoDate(r: SeededRandom, fromYear: number, toYear: number): string {
  const ms = Date.UTC(r.int(fromYear, toYear), r.int(0, 11), r.int(1, 28), r.int(0, 23), r.int(0, 59), r.int(0, 59), r.int(0, 999))
  return new Date(ms).toISOString()
}

function titleOf(r: SeededRandom): string {
  return `${r.pick(PRODUCTS)} ${r.pick(BRANDS)} ${r.pick(QUALIFIERS)}`
}

function slug(text: string): string {
  return text.toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')
}

function pictureUrl(r: SeededRandom): string {
  return `http://http2.mlstatic.com/D_${r.int(100000, 999999)}-MLA${r.int(10000000000, 99999999999)}_${r.int(10, 12)}${r.int(2020, 2025)}-I.jpg`
}

export function categoryJson(id: string): string {
  const r = new SeededRandom(`category:${id}`)
  const site = id.slice(0, 3)
  const depth = r.int(1, 4)
  const pathFromRoot: Array<{ id: string; name: string }> = []
  for (let i = 0; i < depth; i++) pathFromRoot.push({ id: `${site}${r.int(1000, 499999)}`, name: i === 0 ? r.pick(CATEGORY_WORDS) : `${r.pick(PRODUCTS)} ${r.pick(QUALIFIERS)}` })
  const name = `${r.pick(PRODUCTS)} ${r.pick(QUALIFIERS)}`
  pathFromRoot.push({ id, name })
  const children: Array<{ id: string; name: string; total_items_in_this_category: number }> = []
  const childCount = r.pick([0, 0, 1, 3, 6, 10])
  for (let i = 0; i < childCount; i++) children.push({ id: `${site}${r.int(1000, 499999)}`, name: `${r.pick(PRODUCTS)} ${r.pick(BRANDS)}`, total_items_in_this_category: r.int(0, 90000) })
  const body = {
    id,
    name,
    picture: r.bool(0.5) ? `http://resources.mlstatic.com/category/images/${r.hex(8)}-${r.hex(4)}.png` : null,
    permalink: r.bool(0.5) ? `https://listado.${siteOfId(id).domain}/${slug(name)}` : null,
    total_items_in_this_category: r.int(0, 250000),
    path_from_root: pathFromRoot,
    children_categories: children,
    attribute_types: 'attributes',
    settings: {
      adult_content: false,
      buying_allowed: true,
      buying_modes: r.bool(0.3) ? ['auction', 'buy_it_now'] : ['buy_it_now'],
      catalog_domain: `${site}-${slug(name).toUpperCase().slice(0, 20)}`,
      coverage_areas: 'not_allowed',
      currencies: [siteOfId(id).currencyId],
      fragile: r.bool(0.2),
      immediate_payment: 'required',
      item_conditions: ['not_specified', 'new', 'used'],
      items_reviews_allowed: r.bool(0.5),
      listing_allowed: childCount === 0,
      max_description_length: 50000,
      max_pictures_per_item: 12,
      max_pictures_per_item_var: 10,
      max_sub_title_length: 70,
      max_title_length: 60,
      maximum_price: null,
      minimum_price: null,
      mirror_category: null,
      mirror_master_category: null,
      mirror_slave_categories: [],
      price: 'required',
      reservation_allowed: null,
      restrictions: [],
      rounded_address: false,
      seller_contact: 'not_allowed',
      shipping_modes: ['not_specified', 'me1', 'custom', 'me2'],
      shipping_options: ['custom', 'carrier'],
      shipping_profile: 'optional',
      show_contact_information: false,
      simple_shipping: 'optional',
      stock: 'required',
      sub_vertical: slug(r.pick(PRODUCTS)),
      subscribable: null,
      tags: [],
      vertical: r.pick(VERTICALS),
      vip_subdomain: 'articulo',
    },
    meta_categ_id: r.int(1000, 99999),
    attributable: r.bool(0.5),
    date_created: isoDate(r, 2012, 2020),
  }
  return JSON.stringify(body)
}

interface ItemSummary {
  id: string
  title: string
  price: number
  currencyId: string
  sellerId: number
  categoryId: string
  condition: string
  thumbnail: string
  permalink: string
  availableQuantity: number
  soldQuantity: number
  freeShipping: boolean
}

function itemSummary(r: SeededRandom, id: string, site: MeliSite): ItemSummary {
  const title = titleOf(r)
  return {
    id,
    title,
    price: r.int(1000, 2_500_000) / 10,
    currencyId: site.currencyId,
    sellerId: r.int(1_000_000, 1_999_999_999),
    categoryId: `${id.slice(0, 3)}${r.int(1000, 499999)}`,
    condition: r.bool(0.8) ? 'new' : 'used',
    thumbnail: pictureUrl(r),
    permalink: `https://articulo.${site.domain}/${id.slice(0, 3)}-${id.slice(3)}-${slug(title)}-_JM`,
    availableQuantity: r.int(1, 500),
    soldQuantity: r.int(0, 5000),
    freeShipping: r.bool(0.6),
  }
}

export function itemJson(id: string): string {
  const r = new SeededRandom(`item:${id}`)
  const site = siteOfId(id)
  const s = itemSummary(r, id, site)
  const pictures: Array<{ id: string; url: string; secure_url: string; size: string; max_size: string; quality: string }> = []
  const pictureCount = r.int(0, 4)
  for (let i = 0; i < pictureCount; i++) {
    const url = pictureUrl(r)
    pictures.push({ id: `${r.int(100000, 999999)}-MLA${r.int(10000000000, 99999999999)}_${r.int(10, 12)}${r.int(2020, 2025)}`, url, secure_url: url.replace('http://', 'https://'), size: '500x500', max_size: '1200x1200', quality: '' })
  }
  const attributes: Array<{ id: string; name: string; value_id: string | null; value_name: string; attribute_group_id: string; attribute_group_name: string }> = []
  const attributeCount = r.int(0, ATTRIBUTES.length)
  for (let i = 0; i < attributeCount; i++) {
    const [attrId, attrName, values] = ATTRIBUTES[i]!
    attributes.push({ id: attrId, name: attrName, value_id: r.bool(0.7) ? String(r.int(1000, 9_999_999)) : null, value_name: r.pick(values), attribute_group_id: 'OTHERS', attribute_group_name: 'Otros' })
  }
  const body = {
    id,
    site_id: id.slice(0, 3),
    title: s.title,
    seller_id: s.sellerId,
    category_id: s.categoryId,
    price: s.price,
    base_price: s.price,
    original_price: r.bool(0.3) ? Math.round(s.price * 1.2 * 10) / 10 : null,
    currency_id: s.currencyId,
    initial_quantity: s.availableQuantity + s.soldQuantity,
    available_quantity: s.availableQuantity,
    sold_quantity: s.soldQuantity,
    buying_mode: 'buy_it_now',
    listing_type_id: r.pick(['gold_special', 'gold_pro', 'free']),
    condition: s.condition,
    permalink: s.permalink,
    thumbnail: s.thumbnail,
    pictures,
    accepts_mercadopago: true,
    shipping: { mode: 'me2', free_shipping: s.freeShipping, logistic_type: r.pick(['fulfillment', 'cross_docking', 'drop_off']), store_pick_up: r.bool(0.2), tags: s.freeShipping ? ['mandatory_free_shipping'] : [] },
    seller_address: { city: { name: r.pick(CITIES) }, state: { id: `${site.countryId}-${r.hex(2).toUpperCase()}`, name: r.pick(site.states) }, country: { id: site.countryId, name: site.name } },
    attributes,
    status: r.bool(0.9) ? 'active' : 'paused',
    warranty: r.bool(0.6) ? `Garantía del vendedor: ${r.int(1, 12)} meses` : null,
    catalog_product_id: r.bool(0.5) ? `${id.slice(0, 3)}${r.int(1_000_000, 99_999_999)}` : null,
    tags: r.bool(0.5) ? ['good_quality_picture', 'immediate_payment'] : ['immediate_payment'],
    date_created: isoDate(r, 2018, 2024),
    last_updated: isoDate(r, 2024, 2025),
  }
  return JSON.stringify(body)
}

export function siteJson(site: MeliSite): string {
  const r = new SeededRandom(`site:${site.id}`)
  const categories: Array<{ id: string; name: string }> = []
  for (const name of CATEGORY_WORDS) categories.push({ id: `${site.id}${r.int(1000, 9999)}`, name })
  const body = {
    id: site.id,
    name: site.name,
    country_id: site.countryId,
    sale_fees_mode: 'not_free',
    mercadopago_version: 3,
    default_currency_id: site.currencyId,
    immediate_payment: 'required',
    payment_method_ids: ['MLAMC', 'MLAAM', 'MLAVE', 'MLADC', 'MLAOT', 'MLAMO', 'MLAMS', 'MLAWC'],
    settings: { identification_types: ['DNI', 'CUIT'], taxpayer_types: ['Consumidor Final', 'Monotributo', 'IVA Responsable Inscripto'], identification_types_rules: null },
    currencies: [{ id: site.currencyId, symbol: site.currencySymbol }],
    categories,
  }
  return JSON.stringify(body)
}

export function userJson(id: string): string {
  const r = new SeededRandom(`user:${id}`)
  const site = r.pick(allMeliSites().slice(0, 7))
  const nickname = `${r.pick(NICK_PARTS)}${r.pick(NICK_PARTS)}${r.int(1, 999)}`
  const seller = r.bool(0.6)
  const total = seller ? r.int(10, 90000) : 0
  const canceled = Math.floor(total * r.int(0, 8) / 100)
  const body = {
    id: Number(id),
    nickname,
    registration_date: isoDate(r, 2005, 2023),
    country_id: site.countryId,
    address: { city: r.pick(CITIES), state: `${site.countryId}-${r.hex(2).toUpperCase()}` },
    user_type: 'normal',
    tags: seller ? ['normal', 'user_info_verified', 'credits_priority_4'] : ['normal'],
    logo: seller && r.bool(0.5) ? `http://mla-s2-p.mlstatic.com/${r.int(100000, 999999)}-MLA${r.int(1e9, 9e9)}_${r.int(10, 12)}${r.int(2018, 2024)}-O.jpg` : null,
    points: r.int(0, 5000),
    site_id: site.id,
    permalink: `http://perfil.${site.domain}/${nickname}`,
    seller_reputation: {
      level_id: seller ? r.pick(['5_green', '4_light_green', '3_yellow']) : null,
      power_seller_status: seller ? r.pick(['platinum', 'gold', 'silver', null]) : null,
      transactions: { period: 'historic', total, completed: total - canceled, canceled, ratings: { positive: seller ? r.int(80, 99) / 100 : 0, negative: seller ? r.int(0, 5) / 100 : 0, neutral: seller ? r.int(0, 10) / 100 : 0 } },
    },
    buyer_reputation: { tags: [] },
    status: { site_status: 'active' },
  }
  return JSON.stringify(body)
}

/** Hard limits on the search parameters (untrusted input). */
export const SEARCH_LIMITS = { maxQueryLength: 500, maxLimit: 50, maxOffset: 1000, defaultLimit: 3 } as const

export function searchJson(site: MeliSite, query: string, offset: number, limit: number): string {
  const r = new SeededRandom(`search:${site.id}:${query}`)
  const total = r.int(0, 40000)
  const results: unknown[] = []
  const shown = Math.max(0, Math.min(limit, total - offset))
  for (let i = 0; i < shown; i++) {
    const ir = new SeededRandom(`search:${site.id}:${query}:${offset + i}`)
    const itemId = `${site.id}${ir.int(100_000_000, 2_099_999_999)}`
    const s = itemSummary(ir, itemId, site)
    results.push({
      id: s.id,
      title: s.title,
      condition: s.condition,
      thumbnail: s.thumbnail,
      permalink: s.permalink,
      price: s.price,
      currency_id: s.currencyId,
      available_quantity: s.availableQuantity,
      sold_quantity: s.soldQuantity,
      category_id: s.categoryId,
      seller: { id: s.sellerId },
      shipping: { free_shipping: s.freeShipping, mode: 'me2' },
    })
  }
  const body = {
    site_id: site.id,
    country_default_time_zone: 'GMT-03:00',
    query,
    paging: { total, primary_results: Math.min(total, 1000), offset, limit },
    results,
    sort: { id: 'relevance', name: 'Más relevantes' },
    available_sorts: [{ id: 'price_asc', name: 'Menor precio' }, { id: 'price_desc', name: 'Mayor precio' }],
    filters: [],
  }
  return JSON.stringify(body)
}
