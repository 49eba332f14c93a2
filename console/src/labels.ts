/**
 * The console's words in French and English. French unless the browser prefers English (or
 * `?lang=en`): the console is for French hospitals first.
 */
const FR = {
  title: 'Passerelle : supervision',
  operatingRooms: 'Salles d’opération',
  loading: 'Chargement…',
  noRooms: 'Aucune salle d’opération.',
  noEquipment: 'Aucun équipement.',
  equipment: 'Équipements',
  roomStatus: 'État de la salle',
  live: 'En direct',
  offline: 'Flux interrompu, reconnexion…',
  loadFailed: 'Les données n’ont pas pu être chargées',
  deviceStatus: { active: 'en service', inactive: 'hors service', 'entered-in-error': 'saisie erronée', unknown: 'inconnu' },
  roomOccupancy: { O: 'occupée', U: 'libre', H: 'en nettoyage', C: 'fermée', K: 'contaminée', I: 'isolée' },
} as const;

type Labels = { [K in keyof typeof FR]: (typeof FR)[K] extends string ? string : Record<string, string> };

const EN: Labels = {
  title: 'Passerelle: supervision',
  operatingRooms: 'Operating rooms',
  loading: 'Loading…',
  noRooms: 'No operating room.',
  noEquipment: 'No equipment.',
  equipment: 'Equipment',
  roomStatus: 'Room status',
  live: 'Live',
  offline: 'Stream interrupted, reconnecting…',
  loadFailed: 'The data could not be loaded',
  deviceStatus: { active: 'in service', inactive: 'out of service', 'entered-in-error': 'entered in error', unknown: 'unknown' },
  roomOccupancy: { O: 'occupied', U: 'free', H: 'housekeeping', C: 'closed', K: 'contaminated', I: 'isolated' },
};

function language(): 'fr' | 'en' {
  const asked = new URLSearchParams(window.location.search).get('lang');
  if (asked === 'fr' || asked === 'en') return asked;
  return navigator.language.toLowerCase().startsWith('en') ? 'en' : 'fr';
}

export const lang = language();
export const labels: Labels = lang === 'en' ? EN : FR;
