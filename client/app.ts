import type { PropsWithChildren } from 'react'

import './app.scss'
// The mini-program's supabase client, handed to the services (client/services/api.ts).
import './services/supabase'

/** The app shell: no global state yet, each page loads its own data through its hook. */
function App({ children }: PropsWithChildren): PropsWithChildren['children'] {
  // children is the page being rendered
  return children
}

export default App
