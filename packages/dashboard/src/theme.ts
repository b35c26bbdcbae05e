// Colour or none: with NO_COLOR set (no-color.org) the glyphs carry every state and nothing is coloured.
import { createContext, useContext } from 'react';

export interface Theme {
  colors: boolean;
}

export const ThemeContext = createContext<Theme>({ colors: true });
export const useTheme = (): Theme => useContext(ThemeContext);

export const themeFromEnv = (env: NodeJS.ProcessEnv = process.env): Theme => ({ colors: !('NO_COLOR' in env && env.NO_COLOR !== '') });

/** A colour for Ink's Text, or none without colours. */
export const tint = (theme: Theme, color: string | undefined): string | undefined => (theme.colors ? color : undefined);
