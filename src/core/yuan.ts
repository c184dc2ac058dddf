// Amounts for people: integer fen shown as yuan with thousands separators
// (12345678 -> "123,456.78"). Only reports and the command line print money this way;
// every file and store keeps integer fen.

export function yuan(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  const whole = Math.floor(abs / 100)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}${whole}.${String(abs % 100).padStart(2, '0')}`;
}
