// Numbers in API answers: three decimals are more than anyone reads, and keep the JSON short.
export function round3(x: number): number {
  return Math.round(x * 1000) / 1000
}
