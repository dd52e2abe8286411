// The web app's service worker: only for alerts the holder asked for (Web Push). The message
// says only that the history has something new; the text is the app's, in both languages.
self.addEventListener('push', (event) => {
  event.waitUntil(self.registration.showNotification('netid', {
    body: '您的网号有新的使用记录 · Your Net ID was used: see your history',
    tag: 'netid-history',
  }))
})

self.addEventListener('notificationclick', (event) => {
  event.notification.close()
  event.waitUntil(self.clients.openWindow('/app/#history'))
})
