/**
 * Placeholder: filled by the area owner.
 *
 * @module
 */
export {};
