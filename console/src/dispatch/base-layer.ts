/**
 * A base layer made here, with no tile server: a hospital's network reaches no map provider, so
 * the map draws a graticule (a line every 0.1 degree, labelled every 0.5) under the hospitals.
 */
import L from 'leaflet';

export function graticule(bounds: { south: number; west: number; north: number; east: number }): L.LayerGroup {
  const group = L.layerGroup();
  const step = 0.1;
  const style = (major: boolean): L.PolylineOptions => ({ color: '#8a96a3', weight: major ? 1 : 0.5, opacity: major ? 0.8 : 0.4, interactive: false });
  const isMajor = (value: number): boolean => Math.abs(value * 2 - Math.round(value * 2)) < 1e-6;
  for (let lat = Math.floor(bounds.south / step) * step; lat <= bounds.north; lat += step) {
    group.addLayer(L.polyline([[lat, bounds.west], [lat, bounds.east]], style(isMajor(lat))));
  }
  for (let lon = Math.floor(bounds.west / step) * step; lon <= bounds.east; lon += step) {
    group.addLayer(L.polyline([[bounds.south, lon], [bounds.north, lon]], style(isMajor(lon))));
  }
  return group;
}
