// Static SVG charts for the Markdown reports: horizontal bars (one value per row) and lines (a value
// per second). Hand-written strings: no browser, no chart library, and the files diff well.

export interface Bar {
  label: string
  value: number
}

export interface LineSeries {
  name: string
  points: ReadonlyArray<readonly [x: number, y: number]>
}

const PALETTE = ['#2f6fdf', '#e0862a', '#2a9d57', '#c2413b', '#7a52c7', '#8c6d3f', '#d45fa0', '#5f6b7a']
const FONT = 'font-family="system-ui, sans-serif" font-size="12"'

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

function formatValue(v: number): string {
  if (Math.abs(v) >= 100) return Math.round(v).toLocaleString('en-US')
  return v.toLocaleString('en-US', { maximumFractionDigits: 2 })
}

export function barChartSvg(title: string, unit: string, bars: readonly Bar[]): string {
  const width = 720
  const labelWidth = 220
  const rowHeight = 28
  const top = 40
  const height = top + bars.length * rowHeight + 20
  const max = Math.max(1e-9, ...bars.map((b) => b.value))
  const plot = width - labelWidth - 110
  const rows = bars.map((b, i) => {
    const y = top + i * rowHeight
    const w = Math.max(1, (b.value / max) * plot)
    return [
      `<text x="${labelWidth - 8}" y="${y + 18}" text-anchor="end" ${FONT}>${escapeXml(b.label)}</text>`,
      `<rect x="${labelWidth}" y="${y + 4}" width="${w.toFixed(1)}" height="${rowHeight - 8}" fill="${PALETTE[i % PALETTE.length]}"/>`,
      `<text x="${(labelWidth + w + 6).toFixed(1)}" y="${y + 18}" ${FONT}>${escapeXml(`${formatValue(b.value)} ${unit}`)}</text>`,
    ].join('')
  })
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-family="system-ui, sans-serif" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    ...rows,
    '</svg>',
    '',
  ].join('\n')
}

export function lineChartSvg(title: string, xLabel: string, yUnit: string, series: readonly LineSeries[]): string {
  const width = 720
  const left = 80
  const right = 20
  const top = 40
  const plotHeight = 250
  const legendTop = top + plotHeight + 50
  const height = legendTop + series.length * 18 + 10
  const all = series.flatMap((s) => s.points)
  const maxX = Math.max(1, ...all.map((p) => p[0]))
  const maxY = Math.max(1e-9, ...all.map((p) => p[1]))
  const sx = (x: number): number => left + (x / maxX) * (width - left - right)
  const sy = (y: number): number => top + plotHeight - (y / maxY) * plotHeight
  const fractions = [0, 0.25, 0.5, 0.75, 1]
  const yTicks = fractions.map((f) => {
    const y = sy(maxY * f)
    return `<line x1="${left}" y1="${y.toFixed(1)}" x2="${width - right}" y2="${y.toFixed(1)}" stroke="#ddd"/><text x="${left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end" ${FONT}>${escapeXml(formatValue(maxY * f))}</text>`
  })
  const xTicks = fractions.map((f) => `<text x="${sx(maxX * f).toFixed(1)}" y="${top + plotHeight + 16}" text-anchor="middle" ${FONT}>${escapeXml(formatValue(maxX * f))}</text>`)
  const lines = series.map((s, i) => {
    const color = PALETTE[i % PALETTE.length]
    const d = s.points.map((p, k) => `${k === 0 ? 'M' : 'L'}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(' ')
    const legendY = legendTop + i * 18
    return `<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/><rect x="${left}" y="${legendY - 10}" width="12" height="12" fill="${color}"/><text x="${left + 18}" y="${legendY}" ${FONT}>${escapeXml(s.name)}</text>`
  })
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-family="system-ui, sans-serif" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    ...yTicks,
    ...xTicks,
    `<text x="${(left + width - right) / 2}" y="${top + plotHeight + 34}" text-anchor="middle" ${FONT}>${escapeXml(xLabel)}</text>`,
    `<text x="14" y="${top - 10}" ${FONT}>${escapeXml(yUnit)}</text>`,
    ...lines,
    '</svg>',
    '',
  ].join('\n')
}
