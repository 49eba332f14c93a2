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
  dispatch: 'Régulation : lits disponibles',
  latitude: 'Latitude',
  longitude: 'Longitude',
  radius: 'Rayon (km)',
  specialty: 'Spécialité',
  anySpecialty: 'Toutes',
  search: 'Rechercher',
  noFreeBed: 'Aucun lit libre dans ce rayon.',
  hospital: 'Établissement',
  distance: 'Distance',
  freeBedsHeader: 'Lits libres / total',
  freeBeds: 'lits libres',
  mapLabel: 'Carte des établissements et de leurs lits libres',
  nav: { rooms: 'Blocs opératoires', dispatch: 'Régulation' },
  trackedTools: 'Instruments suivis',
  noTools: 'Aucun instrument suivi pour l’instant.',
  images: 'Images de la salle',
  noImages: 'Aucune image.',
  imageOf: 'Image acquise en salle',
  imageStored: 'image enregistrée',
  timeline: 'Historique',
  deviceClock: 'Horloge appareil',
  receivedClock: 'Reçu',
  event: 'Événement',
  stay: 'Séjour',
  noSuchRoom: 'Cette salle n’existe pas.',
  messagesWith: 'Messages avec',
  dispatchCentre: 'la régulation (SAMU)',
  about: 'Au sujet de',
  aboutPlaceholder: 'patient en route (âge, motif)',
  messageText: 'Message',
  sendMessage: 'Envoyer',
  write: 'Écrire',
  noSuchHospital: 'Cet établissement n’existe pas.',
  specialties: {
    cardiology: 'Cardiologie', neurology: 'Neurologie', pediatrics: 'Pédiatrie', 'intensive-care': 'Réanimation', orthopedics: 'Orthopédie',
    'general-surgery': 'Chirurgie générale', emergency: 'Urgences', maternity: 'Maternité', psychiatry: 'Psychiatrie', oncology: 'Oncologie',
    pneumology: 'Pneumologie', geriatrics: 'Gériatrie', 'internal-medicine': 'Médecine interne', nephrology: 'Néphrologie', gastroenterology: 'Gastro-entérologie',
  },
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
  dispatch: 'Dispatch: available beds',
  latitude: 'Latitude',
  longitude: 'Longitude',
  radius: 'Radius (km)',
  specialty: 'Specialty',
  anySpecialty: 'Any',
  search: 'Search',
  noFreeBed: 'No free bed within this radius.',
  hospital: 'Hospital',
  distance: 'Distance',
  freeBedsHeader: 'Free beds / total',
  freeBeds: 'free beds',
  mapLabel: 'Map of the hospitals and their free beds',
  nav: { rooms: 'Operating rooms', dispatch: 'Dispatch' },
  trackedTools: 'Tracked tools',
  noTools: 'No tracked tool yet.',
  images: "The room's images",
  noImages: 'No image.',
  imageOf: 'Image acquired in the room',
  imageStored: 'image stored',
  timeline: 'History',
  deviceClock: 'Device clock',
  receivedClock: 'Received',
  event: 'Event',
  stay: 'Encounter',
  noSuchRoom: 'There is no such room.',
  messagesWith: 'Messages with',
  dispatchCentre: 'dispatch (SAMU)',
  about: 'About',
  aboutPlaceholder: 'patient on the way (age, reason)',
  messageText: 'Message',
  sendMessage: 'Send',
  write: 'Write',
  noSuchHospital: 'There is no such hospital.',
  specialties: {
    cardiology: 'Cardiology', neurology: 'Neurology', pediatrics: 'Pediatrics', 'intensive-care': 'Intensive care', orthopedics: 'Orthopedics',
    'general-surgery': 'General surgery', emergency: 'Emergency', maternity: 'Maternity', psychiatry: 'Psychiatry', oncology: 'Oncology',
    pneumology: 'Pneumology', geriatrics: 'Geriatrics', 'internal-medicine': 'Internal medicine', nephrology: 'Nephrology', gastroenterology: 'Gastroenterology',
  },
};

function language(): 'fr' | 'en' {
  const asked = new URLSearchParams(window.location.search).get('lang');
  if (asked === 'fr' || asked === 'en') return asked;
  return navigator.language.toLowerCase().startsWith('en') ? 'en' : 'fr';
}

export const lang = language();
export const labels: Labels = lang === 'en' ? EN : FR;

/** A specialty's name in the console's language (its code when it is not one of ours). */
export const specialtyLabel = (code: string): string => labels.specialties[code] ?? code;
