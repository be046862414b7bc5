/** The requests of the fetch-all demo (and of its tests, with shorter delays). */

/** Round 1: fast, slow, missing and too-slow requests; nothing fails hard. */
export function mixedPaths(scale = 1): string[] {
  const ms = (n: number) => Math.round(n * scale);
  return [
    `/a?delay=${ms(100)}`,
    `/b?delay=${ms(300)}`,
    `/c?delay=${ms(50)}`,
    `/missing?delay=${ms(80)}&status=404`,
    `/too-slow?delay=${ms(5000)}`,
    `/d?delay=${ms(200)}`,
    `/e?delay=${ms(150)}`,
    `/f?delay=${ms(100)}`,
  ];
}

/** Round 2: one request fails with 500 while the others are still running or waiting. */
export function failingPaths(scale = 1): string[] {
  const ms = (n: number) => Math.round(n * scale);
  return [
    `/g?delay=${ms(400)}`,
    `/h?delay=${ms(50)}`,
    `/broken?delay=${ms(150)}&status=500`,
    `/i?delay=${ms(400)}`,
    `/j?delay=${ms(400)}`,
    `/k?delay=${ms(400)}`,
  ];
}
