// LAION-like captions: alt texts of web images. Mostly short (a product title, a
// stock-photo line, a label), a tail of long descriptions, a little punctuation,
// quoting and non-ASCII, generated from word lists with a fixed seed.
// Lengths are counted in words here; the tokenizer's view is measured by main.ts.

import { intBetween, normal, pick, rng, type Rng } from './rng.ts';

const ADJ = ['beautiful', 'vintage', 'modern', 'red', 'blue', 'small', 'large', 'happy', 'old', 'new', 'wooden', 'golden', 'white', 'black',
  'rustic', 'cozy', 'elegant', 'colorful', 'abstract', 'handmade', 'sunny', 'misty', 'bright', 'dark', 'tiny', 'luxury', 'classic', 'green'];
const NOUN = ['cat', 'dog', 'house', 'car', 'woman', 'man', 'child', 'mountain', 'lake', 'city', 'street', 'kitchen', 'living room', 'bicycle',
  'flower', 'garden', 'beach', 'forest', 'bridge', 'table', 'chair', 'dress', 'watch', 'ring', 'cake', 'pizza', 'bowl of ramen', 'guitar',
  'sofa', 'lamp', 'train', 'boat', 'horse', 'bird', 'painting', 'poster', 'logo', 't-shirt', 'backpack', 'sneakers', 'laptop', 'phone case'];
const VERB = ['sitting on', 'walking along', 'standing near', 'playing with', 'looking at', 'running through', 'sleeping on', 'holding',
  'drinking coffee in', 'reading a book in', 'cooking in', 'riding', 'waiting for'];
const PLACE = ['the park', 'a cafe', 'the beach at sunset', 'a snowy forest', 'downtown Tokyo', 'the kitchen', 'an old barn', 'New York City',
  'the mountains', 'a busy market', 'the living room', 'a field of flowers', 'the office', 'Paris in spring'];
const BRAND = ['Nike', 'IKEA', 'Samsung', 'Lego', 'Canon', "Levi's", 'Apple', 'Adidas', 'Sony', 'Zara', 'Bosch', 'Pandora'];
const MATERIAL = ['cotton', 'leather', 'stainless steel', 'oak', 'ceramic', 'silk', 'bamboo', 'glass', 'linen', 'sterling silver'];
const COLOR = ['Black', 'White', 'Navy Blue', 'Rose Gold', 'Grey/Red', 'Olive', 'Beige', 'Multicolor'];
const EXTRA = ['stock photo', 'royalty free image', 'high resolution', 'vector illustration', 'free shipping', 'for sale', 'wallpaper',
  'close-up', 'aerial view', 'black and white photo', 'watercolor', 'oil on canvas', 'HD', '4K', 'DIY', 'tutorial', 'review'];
const FOREIGN = ['Schöne Aussicht auf die Berge', 'Maison à vendre près de la mer', 'Vestido de fiesta largo', '東京タワーの夜景',
  'Красивый закат над морем', 'café crème et croissant', 'ฝนตกที่กรุงเทพ', 'Küche mit Kochinsel', '可爱的小猫 🐱', 'mañana en la playa ☀️'];
const FILLER = ['with', 'and', 'on', 'in', 'of', 'for', 'the', 'a', 'by', 'at', 'from', 'near'];
const SENTENCE = [
  'This listing is for one item only, accessories shown are not included.',
  "Please check the size chart before ordering, it's a slim fit.",
  'The photo was taken early in the morning when the light was soft and warm.',
  'Perfect gift for birthdays, weddings, anniversaries and holidays.',
  'Our team designs every piece in the studio and ships worldwide within 3 days.',
  'Colors may vary slightly due to the lighting and your screen settings.',
  'Read the full story on our blog, with more pictures from the trip.',
];

type Style = (r: Rng) => string;

const STYLES: Array<[number, Style]> = [
  [0.3, (r) => `${cap(pick(r, ADJ))} ${pick(r, NOUN)} ${pick(r, VERB)} ${pick(r, PLACE)}`],
  [0.25, (r) => `${pick(r, BRAND)} ${cap(pick(r, ADJ))} ${cap(pick(r, MATERIAL))} ${cap(pick(r, NOUN))} - ${pick(r, COLOR)}, Size ${intBetween(r, 4, 14)}`],
  [0.15, (r) => `${pick(r, NOUN)} ${pick(r, EXTRA)} | ${cap(pick(r, ADJ))} ${pick(r, NOUN)} ${intBetween(r, 1990, 2024)}`],
  [0.1, (r) => `"${cap(pick(r, ADJ))} ${pick(r, NOUN)}" by ${pick(r, BRAND)} (${intBetween(r, 2, 99)}% off)`],
  [0.1, (r) => pick(r, FOREIGN)],
  [0.1, (r) => `${pick(r, FILLER)} ${pick(r, ADJ)} ${pick(r, NOUN)} ${pick(r, FILLER)} ${pick(r, PLACE)}`],
];

function cap(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

function style(r: Rng): Style {
  let x = r();
  for (const [weight, s] of STYLES) {
    if ((x -= weight) < 0) return s;
  }
  return STYLES[0][1];
}

/** Words wanted: a few one-to-three word labels, mostly 5..20, a long tail to ~70. */
function targetWords(r: Rng): number {
  const x = r();
  if (x < 0.08) return intBetween(r, 1, 3);
  if (x < 0.78) return Math.max(3, Math.min(30, Math.round(Math.exp(Math.log(9) + 0.45 * normal(r)))));
  if (x < 0.96) return intBetween(r, 18, 40);
  return intBetween(r, 40, 70);
}

export function captions(count: number, seed: number): string[] {
  const r = rng(seed * 7919 + 17);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const want = targetWords(r);
    const first = style(r);
    const words: string[] = [];
    while (words.length < want) {
      const fragment = words.length === 0 ? first(r) : want > 25 && r() < 0.5 ? pick(r, SENTENCE) : `${pick(r, FILLER)} ${style(r)(r)}`;
      words.push(...fragment.split(' '));
    }
    out.push(words.slice(0, want).join(' '));
  }
  return out;
}
