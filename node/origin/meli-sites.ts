// The MercadoLibre sites (one per country) and what the generated resources need to know about each.

export interface MeliSite {
  readonly id: string
  readonly name: string
  readonly countryId: string
  readonly currencyId: string
  readonly currencySymbol: string
  readonly domain: string
  readonly states: readonly string[]
}

const SITES: readonly MeliSite[] = [
  { id: 'MLA', name: 'Argentina', countryId: 'AR', currencyId: 'ARS', currencySymbol: '$', domain: 'mercadolibre.com.ar', states: ['Capital Federal', 'Buenos Aires', 'Córdoba', 'Santa Fe', 'Mendoza'] },
  { id: 'MLB', name: 'Brasil', countryId: 'BR', currencyId: 'BRL', currencySymbol: 'R$', domain: 'mercadolivre.com.br', states: ['São Paulo', 'Rio de Janeiro', 'Minas Gerais', 'Paraná', 'Bahia'] },
  { id: 'MLM', name: 'Mexico', countryId: 'MX', currencyId: 'MXN', currencySymbol: '$', domain: 'mercadolibre.com.mx', states: ['Distrito Federal', 'Jalisco', 'Nuevo León', 'Puebla', 'Estado De México'] },
  { id: 'MLC', name: 'Chile', countryId: 'CL', currencyId: 'CLP', currencySymbol: '$', domain: 'mercadolibre.cl', states: ['RM (Metropolitana)', 'Valparaíso', 'Biobío', 'Maule'] },
  { id: 'MCO', name: 'Colombia', countryId: 'CO', currencyId: 'COP', currencySymbol: '$', domain: 'mercadolibre.com.co', states: ['Bogotá D.C.', 'Antioquia', 'Valle Del Cauca', 'Atlántico'] },
  { id: 'MLU', name: 'Uruguay', countryId: 'UY', currencyId: 'UYU', currencySymbol: '$', domain: 'mercadolibre.com.uy', states: ['Montevideo', 'Canelones', 'Maldonado'] },
  { id: 'MPE', name: 'Perú', countryId: 'PE', currencyId: 'PEN', currencySymbol: 'S/', domain: 'mercadolibre.com.pe', states: ['Lima', 'Arequipa', 'La Libertad'] },
  { id: 'MLV', name: 'Venezuela', countryId: 'VE', currencyId: 'VES', currencySymbol: 'Bs.', domain: 'mercadolibre.com.ve', states: ['Distrito Capital', 'Miranda', 'Zulia'] },
  { id: 'MEC', name: 'Ecuador', countryId: 'EC', currencyId: 'USD', currencySymbol: 'U$S', domain: 'mercadolibre.com.ec', states: ['Pichincha', 'Guayas', 'Azuay'] },
  { id: 'MBO', name: 'Bolivia', countryId: 'BO', currencyId: 'BOB', currencySymbol: 'Bs', domain: 'mercadolibre.com.bo', states: ['La Paz', 'Santa Cruz', 'Cochabamba'] },
  { id: 'MPY', name: 'Paraguay', countryId: 'PY', currencyId: 'PYG', currencySymbol: '₲', domain: 'mercadolibre.com.py', states: ['Asunción', 'Central', 'Alto Paraná'] },
  { id: 'MCR', name: 'Costa Rica', countryId: 'CR', currencyId: 'CRC', currencySymbol: '₡', domain: 'mercadolibre.co.cr', states: ['San José', 'Alajuela', 'Heredia'] },
  { id: 'MPA', name: 'Panamá', countryId: 'PA', currencyId: 'PAB', currencySymbol: 'B/.', domain: 'mercadolibre.com.pa', states: ['Panamá', 'Chiriquí', 'Colón'] },
  { id: 'MRD', name: 'Dominicana', countryId: 'DO', currencyId: 'DOP', currencySymbol: '$', domain: 'mercadolibre.com.do', states: ['Distrito Nacional', 'Santiago', 'Santo Domingo'] },
  { id: 'MGT', name: 'Guatemala', countryId: 'GT', currencyId: 'GTQ', currencySymbol: 'Q', domain: 'mercadolibre.com.gt', states: ['Guatemala', 'Quetzaltenango', 'Escuintla'] },
  { id: 'MHN', name: 'Honduras', countryId: 'HN', currencyId: 'HNL', currencySymbol: 'L', domain: 'mercadolibre.com.hn', states: ['Francisco Morazán', 'Cortés', 'Atlántida'] },
  { id: 'MNI', name: 'Nicaragua', countryId: 'NI', currencyId: 'NIO', currencySymbol: 'C$', domain: 'mercadolibre.com.ni', states: ['Managua', 'León', 'Granada'] },
  { id: 'MSV', name: 'El Salvador', countryId: 'SV', currencyId: 'USD', currencySymbol: 'U$S', domain: 'mercadolibre.com.sv', states: ['San Salvador', 'La Libertad', 'Santa Ana'] },
  { id: 'MCU', name: 'Cuba', countryId: 'CU', currencyId: 'CUP', currencySymbol: '$', domain: 'mercadolibre.com.cu', states: ['La Habana', 'Santiago de Cuba'] },
]

const BY_ID = new Map(SITES.map((s) => [s.id, s]))

export function meliSite(id: string): MeliSite | undefined {
  return BY_ID.get(id)
}

export function allMeliSites(): readonly MeliSite[] {
  return SITES
}

/** The site an item or category id belongs to (`MLA97994` → MLA); ids of unknown `ML?` prefixes map to MLA's data. */
export function siteOfId(id: string): MeliSite {
  return BY_ID.get(id.slice(0, 3)) ?? SITES[0]!
}
