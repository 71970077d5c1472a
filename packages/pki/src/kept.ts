/**
 * A few values made once per key and kept, the oldest dropped beyond `max`: the parsed CAs and public
 * keys a zone uses for every proxy (one per mesh and rotation, a handful in all).
 */
export class Kept<V> {
  private readonly values = new Map<string, V>();

  constructor(private readonly max: number) {}

  get(key: string, make: () => V): V {
    let v = this.values.get(key);
    if (v === undefined) {
      v = make();
      if (this.values.size >= this.max) this.values.delete(this.values.keys().next().value as string);
      this.values.set(key, v);
    }
    return v;
  }

  delete(key: string): void {
    this.values.delete(key);
  }
}
