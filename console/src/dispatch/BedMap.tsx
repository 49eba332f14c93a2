/**
 * The hospitals on a map (Leaflet over the generated base layer): a marker per hospital with its
 * free beds written next to it, the search point and its radius.
 */
import { useEffect, useRef } from 'react';
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import { labels } from '../labels.ts';
import { graticule } from './base-layer.ts';
import type { BedQuery, HospitalBeds } from './beds.ts';

export function BedMap({ query, hospitals }: { query: BedQuery; hospitals: HospitalBeds[] }) {
  const element = useRef<HTMLDivElement>(null);
  const map = useRef<L.Map | undefined>(undefined);
  const overlay = useRef<L.LayerGroup | undefined>(undefined);

  useEffect(() => {
    if (!element.current) return;
    const created = L.map(element.current, { attributionControl: false }).setView([query.latitude, query.longitude], 9);
    graticule({ south: query.latitude - 3, north: query.latitude + 3, west: query.longitude - 4, east: query.longitude + 4 }).addTo(created);
    L.control.scale({ metric: true, imperial: false }).addTo(created);
    overlay.current = L.layerGroup().addTo(created);
    map.current = created;
    return () => {
      created.remove();
      map.current = undefined;
    };
    // The map is made once, around the first search point; what it shows follows below.
  }, []);

  useEffect(() => {
    const layer = overlay.current;
    if (!layer) return;
    layer.clearLayers();
    L.circle([query.latitude, query.longitude], { radius: query.radiusKm * 1000, color: '#123b5e', weight: 1, fillOpacity: 0.04 }).addTo(layer);
    L.circleMarker([query.latitude, query.longitude], { radius: 4, color: '#123b5e' }).addTo(layer);
    for (const hospital of hospitals) {
      if (!hospital.position) continue;
      L.circleMarker([hospital.position.latitude, hospital.position.longitude], { radius: 7, color: '#1d6b2c', weight: 2, fillOpacity: 0.6 })
        .bindTooltip(`${hospital.name}: ${hospital.available} ${labels.freeBeds}`, { permanent: true, direction: 'right', className: 'hospital-label' })
        .addTo(layer);
    }
    map.current?.setView([query.latitude, query.longitude]);
  }, [query, hospitals]);

  return <div ref={element} className="bed-map" role="img" aria-label={labels.mapLabel} />;
}
