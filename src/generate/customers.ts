import type { Rng } from "./random.ts";

/** What a scripted user types into a demo app's forms. Fictional people, test card numbers. */
export interface Customer {
  firstName: string;
  lastName: string;
  email: string;
  password: string;
  address: string;
  city: string;
  postcode: string;
  country: string;
  phone: string;
  card: string;
  expiry: string;
  cvc: string;
}

const FIRST_NAMES = ["Maya", "Jonas", "Aisha", "Leo", "Sofia", "Ravi", "Clara", "Tomás", "Hana", "Elliot", "Zoe", "Mateo", "Ingrid", "Kwame", "Lucía", "Noah"];
const LAST_NAMES = ["Lindqvist", "Okafor", "Bennett", "Moreau", "Tanaka", "Silva", "Novak", "Hughes", "Kowalski", "Reyes", "Fischer", "Adeyemi"];
const STREETS = ["Maple Street", "Harbour Road", "Elm Avenue", "Station Lane", "Orchard Way", "Mill Road", "Cedar Court", "King Street"];
const CITIES: Array<{ city: string; postcode: () => string; country: string }> = [
  { city: "Portland", postcode: () => "97205", country: "United States" },
  { city: "Austin", postcode: () => "78701", country: "United States" },
  { city: "Toronto", postcode: () => "M5V 2T6", country: "Canada" },
  { city: "Leeds", postcode: () => "LS1 4AP", country: "United Kingdom" },
  { city: "Hamburg", postcode: () => "20095", country: "Germany" },
  { city: "Valencia", postcode: () => "46001", country: "Spain" },
];
const EMAIL_HOSTS = ["example.com", "mail.example.org", "example.net"];
/** Card numbers payment providers publish for testing. */
const TEST_CARDS = ["4242 4242 4242 4242", "5555 5555 5555 4444", "4000 0566 5566 5556"];

export function makeCustomer(rng: Rng): Customer {
  const firstName = rng.pick(FIRST_NAMES);
  const lastName = rng.pick(LAST_NAMES);
  const place = rng.pick(CITIES);
  const handle = `${firstName}.${lastName}`
    .toLowerCase()
    .normalize("NFD")
    .replace(/[^a-z.]/g, "");
  return {
    firstName,
    lastName,
    email: `${handle}${rng.chance(0.4) ? rng.int(1, 99) : ""}@${rng.pick(EMAIL_HOSTS)}`,
    password: `${rng.pick(["autumn", "kettle", "harbour", "linen"])}${rng.int(10, 99)}${rng.pick(["!", "#", "?"])}`,
    address: `${rng.int(2, 240)} ${rng.pick(STREETS)}`,
    city: place.city,
    postcode: place.postcode(),
    country: place.country,
    phone: `+1 555 01${rng.int(10, 99)}`,
    card: rng.pick(TEST_CARDS),
    expiry: `${String(rng.int(1, 12)).padStart(2, "0")} / ${rng.int(27, 31)}`,
    cvc: String(rng.int(100, 999)),
  };
}
