/**
 * Merchant category codes (ISO 18245, as the card networks publish them) used by the bank simulator, with a typical
 * amount per purchase and whether fraudsters favour the category (resellable goods, cash-like, online-only).
 */
export interface MccCode {
  mcc: number;
  description: string;
  category: string;
  /** Median purchase in dollars (lognormal around it). */
  typical: number;
  risky: boolean;
}

export const MCC_CODES: readonly MccCode[] = [
  { mcc: 5411, description: 'Grocery Stores, Supermarkets', category: 'Food', typical: 45, risky: false },
  { mcc: 5812, description: 'Eating Places, Restaurants', category: 'Food', typical: 32, risky: false },
  { mcc: 5814, description: 'Fast Food Restaurants', category: 'Food', typical: 11, risky: false },
  { mcc: 5499, description: 'Miscellaneous Food Stores', category: 'Food', typical: 18, risky: false },
  { mcc: 5541, description: 'Service Stations', category: 'Transport', typical: 38, risky: false },
  {
    mcc: 4111,
    description: 'Local and Suburban Commuter Transportation',
    category: 'Transport',
    typical: 6,
    risky: false,
  },
  { mcc: 4121, description: 'Taxicabs and Limousines', category: 'Transport', typical: 22, risky: false },
  { mcc: 4511, description: 'Airlines, Air Carriers', category: 'Travel', typical: 320, risky: true },
  { mcc: 7011, description: 'Hotels, Motels, Resorts', category: 'Travel', typical: 180, risky: false },
  { mcc: 5912, description: 'Drug Stores and Pharmacies', category: 'Health', typical: 24, risky: false },
  { mcc: 8011, description: 'Doctors and Physicians', category: 'Health', typical: 120, risky: false },
  { mcc: 5311, description: 'Department Stores', category: 'Shopping', typical: 60, risky: false },
  { mcc: 5310, description: 'Discount Stores', category: 'Shopping', typical: 35, risky: false },
  { mcc: 5651, description: 'Family Clothing Stores', category: 'Shopping', typical: 55, risky: false },
  { mcc: 5942, description: 'Book Stores', category: 'Shopping', typical: 20, risky: false },
  { mcc: 5732, description: 'Electronics Stores', category: 'Shopping', typical: 150, risky: true },
  {
    mcc: 5944,
    description: 'Jewelry Stores, Watches, Clocks, and Silverware Stores',
    category: 'Shopping',
    typical: 240,
    risky: true,
  },
  {
    mcc: 5045,
    description: 'Computers, Computer Peripheral Equipment, Software',
    category: 'Shopping',
    typical: 300,
    risky: true,
  },
  { mcc: 5300, description: 'Wholesale Clubs', category: 'Shopping', typical: 110, risky: false },
  { mcc: 4900, description: 'Utilities', category: 'Bills', typical: 95, risky: false },
  { mcc: 4814, description: 'Telecommunication Services', category: 'Bills', typical: 65, risky: false },
  { mcc: 4829, description: 'Wire Transfers and Money Orders', category: 'Money', typical: 200, risky: true },
  { mcc: 6011, description: 'Automated Cash Disbursements', category: 'Money', typical: 80, risky: true },
  {
    mcc: 7995,
    description: 'Betting, including Lottery Tickets, Casino Gaming Chips',
    category: 'Entertainment',
    typical: 50,
    risky: true,
  },
  { mcc: 7832, description: 'Motion Picture Theaters', category: 'Entertainment', typical: 25, risky: false },
  { mcc: 5993, description: 'Cigar Stores and Stands', category: 'Shopping', typical: 15, risky: false },
  {
    mcc: 5967,
    description: 'Direct Marketing - Inbound Teleservices Merchant',
    category: 'Online',
    typical: 40,
    risky: true,
  },
];

export const CITIES: readonly { city: string; state: string }[] = [
  { city: 'Austin', state: 'TX' },
  { city: 'Boston', state: 'MA' },
  { city: 'Chicago', state: 'IL' },
  { city: 'Denver', state: 'CO' },
  { city: 'Miami', state: 'FL' },
  { city: 'Seattle', state: 'WA' },
  { city: 'Phoenix', state: 'AZ' },
  { city: 'Atlanta', state: 'GA' },
];

export const ERRORS_LEGIT = ['Technical Glitch', 'Bad PIN', 'Insufficient Balance'];
export const ERRORS_FRAUD = ['Bad CVV', 'Bad Expiration', 'Bad Card Number', 'Bad Zipcode', 'Insufficient Balance'];
